FROM busybox
COPY --chmod=8777 a /a
