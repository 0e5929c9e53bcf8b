FROM busybox AS first
COPY --from=second /x /x

FROM busybox AS second
RUN true

FROM busybox
COPY --from=first /x /x
