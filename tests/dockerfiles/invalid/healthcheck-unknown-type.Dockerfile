FROM busybox
HEALTHCHECK --interval=5s RUN curl localhost
