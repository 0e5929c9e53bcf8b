FROM busybox
COPY file <<EOF
body
EOF
