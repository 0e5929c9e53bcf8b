FROM --platform=linux/quantum busybox
