FROM busybox
RUN --mount='type=bind,src=a"b' make
