FROM busybox
DEPLOY production
