FROM busybox
ARG VERSION
ENV VERSION="${VERSION:?set it with --build-arg}"
