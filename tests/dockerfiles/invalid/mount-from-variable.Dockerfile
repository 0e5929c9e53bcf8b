FROM busybox
RUN --mount=from=$STAGE,target=/src make
