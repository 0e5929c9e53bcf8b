FROM busybox
RUN --network=bridge make
