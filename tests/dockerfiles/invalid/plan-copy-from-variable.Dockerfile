ARG SRC=builder
FROM busybox
COPY --from=$SRC /x /x
