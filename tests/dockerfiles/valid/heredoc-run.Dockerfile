FROM debian
ARG NAME=world
RUN <<EOF
echo "hello $NAME"
apt-get update
EOF
RUN <<-EOT bash -e
	echo "tabs are stripped from the terminator and, later, the body"
	EOT
RUN <<'EOF'
echo "no expansion of $NAME in a quoted heredoc"
EOF
RUN <<EOF
#!/usr/bin/env python3
print("a script with a shebang")
EOF
RUN cat <<FIRST && cat <<SECOND
first body
FIRST
second body
SECOND
RUN 3<<DESCRIPTOR cat <&3
read from fd 3
DESCRIPTOR
RUN --mount=type=cache,target=/root/.cache <<EOF
pip install -r requirements.txt
EOF
