FROM busybox
ONBUILD RUN echo building on top
ONBUILD COPY --chown=app . /app
ONBUILD CMD ["json", "form"]
onbuild run echo lower case
ONBUILD RUN <<EOF
echo heredoc trigger
EOF
