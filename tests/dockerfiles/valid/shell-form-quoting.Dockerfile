FROM busybox
RUN echo "double $HOME" 'single $HOME' unquoted\ space
RUN echo 'continued \
    inside quotes'
CMD ["sh", "-c", "echo $0 \"$@\"", "x"]
RUN set -e; for f in a b; do echo "$f"; done
