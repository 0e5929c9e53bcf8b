FROM busybox
VOLUME ["/a", 5]
