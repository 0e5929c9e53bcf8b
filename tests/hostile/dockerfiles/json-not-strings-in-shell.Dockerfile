FROM busybox
SHELL ["/bin/sh", null]
