FROM busybox
RUN echo one \
    && echo two
COPY \
    --chmod \
    a b
