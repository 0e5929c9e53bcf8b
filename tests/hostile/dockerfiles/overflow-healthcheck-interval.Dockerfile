FROM busybox
HEALTHCHECK --interval=99999999999h CMD true
