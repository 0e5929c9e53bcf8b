FROM --platform=linux/../../etc busybox
