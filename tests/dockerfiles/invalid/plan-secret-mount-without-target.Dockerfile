FROM busybox
RUN --mount=type=secret make
