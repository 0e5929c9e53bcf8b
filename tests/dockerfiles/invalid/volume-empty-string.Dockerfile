FROM busybox
VOLUME ["/data", " "]
