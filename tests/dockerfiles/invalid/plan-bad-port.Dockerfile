FROM busybox
EXPOSE 8080/http
