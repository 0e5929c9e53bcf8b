FROM busybox
CMD [1e999999]
