FROM busybox
ENV B=x
ENV X=${B#\a}
