FROM busybox
MAINTAINER Jane Doe <jane@example.com>
USER app:staff
USER 1000
WORKDIR /srv
WORKDIR relative/dir
WORKDIR ${APP_HOME:-/app}
STOPSIGNAL SIGTERM
STOPSIGNAL 9
