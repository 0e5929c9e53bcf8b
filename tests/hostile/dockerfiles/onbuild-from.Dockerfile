FROM busybox
ONBUILD FROM busybox
