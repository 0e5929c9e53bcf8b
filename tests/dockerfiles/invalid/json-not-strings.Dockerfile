FROM busybox
CMD ["echo", 42]
