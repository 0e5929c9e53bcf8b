FROM busybox
USER ""
