FROM busybox
COPY --chmod=77777777777 a /a
