FROM busybox AS a
RUN --mount=type=bind,from=b,target=/b true
FROM busybox AS b
RUN --mount=type=bind,from=a,target=/a true
