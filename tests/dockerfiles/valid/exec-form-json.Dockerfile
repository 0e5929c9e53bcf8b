FROM busybox
RUN ["/bin/sh", "-c", "echo \"quoted\" \u00e9 $HOME"]
CMD [ "server", "--port", "8080" ]
ENTRYPOINT ["/entrypoint.sh"]
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN ["echo"]
CMD []
ENTRYPOINT []
