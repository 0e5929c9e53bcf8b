FROM busybox
RUN echo ÿþ
LABEL k=Ã(
