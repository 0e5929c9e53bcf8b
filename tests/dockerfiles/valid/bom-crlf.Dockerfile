FROM busybox
RUN echo crlf \
    line endings
CMD ["a"]
