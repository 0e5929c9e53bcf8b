# escape=a
FROM busybox
