FROM busybox AS a
COPY --from=c /x /x
FROM busybox AS b
COPY --from=a /x /x
FROM busybox AS c
COPY --from=b /x /x
