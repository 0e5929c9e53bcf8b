FROM busybox
EXPOSE 8080 53/udp 9000-9002/tcp $EXTRA_PORT
EXPOSE 443
VOLUME ["/data", "/var/log/app"]
VOLUME /cache /tmp/work
VOLUME $DATA_DIR
