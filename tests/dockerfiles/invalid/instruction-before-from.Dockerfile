# build it
RUN echo too early
FROM busybox
