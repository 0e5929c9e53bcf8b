FROM busybox
RUN <<'one two'
echo "a quoted terminator with a space"
one two
RUN <<eo"f"
partly quoted: no expansion
eof
RUN <<  SPACED
a space before the terminator is allowed
SPACED
RUN echo "<<NOT_A_HEREDOC"
RUN ["<<NOT_IN_JSON"]
COPY <<file.txt /dest/
named after the file
file.txt
