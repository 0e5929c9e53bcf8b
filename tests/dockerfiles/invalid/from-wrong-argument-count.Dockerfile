FROM busybox builder
