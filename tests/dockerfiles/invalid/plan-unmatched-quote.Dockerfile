FROM busybox
COPY "quoted path" /dst/
