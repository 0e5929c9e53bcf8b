FROM busybox
WORKDIR /app/${DIR
