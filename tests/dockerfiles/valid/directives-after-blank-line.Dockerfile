
# escape=`
FROM busybox
RUN echo \
    still a continuation
