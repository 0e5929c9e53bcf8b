FROM busybox
RUN ["sh", ["-c"]]
