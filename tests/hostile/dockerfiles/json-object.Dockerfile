FROM busybox
ENTRYPOINT {"a": ["sh"]}
