FROM busybox
LABEL org.opencontainers.image.title="My App" version=1.0
LABEL "com.example.quoted key"="value" multi.line="a \
b"
LABEL maintainer legacy form value
