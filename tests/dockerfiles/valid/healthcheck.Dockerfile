FROM busybox
HEALTHCHECK NONE
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --start-interval=500ms --retries=3 \
    CMD ["/bin/check", "--quick"]
HEALTHCHECK --interval=0s CMD true
healthcheck cmd lower case
