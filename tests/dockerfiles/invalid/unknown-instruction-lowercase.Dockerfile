FROM busybox
copi a b
