FROM busybox
ENV GREETING=hello
COPY <<EOF /etc/motd
$GREETING from the heredoc
EOF
COPY <<"EOF" /literal.txt
$GREETING stays as written
EOF
COPY --chmod=0755 <<-SCRIPT /usr/local/bin/run.sh
	#!/bin/sh
	exec "$@"
	SCRIPT
COPY <<one.txt <<two.txt /files/
first file
one.txt
second file
two.txt
ADD <<EOF real-file.txt /mixed/
inline
EOF
