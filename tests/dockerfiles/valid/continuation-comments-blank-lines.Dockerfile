FROM busybox
RUN apt-get update \
# a comment inside the continuation is dropped
    && apt-get install -y \
        curl \
    # so is an indented one

        git
RUN echo trailing spaces after the escape \   
    are allowed
RUN echo "an escaped escape \\
CMD ["not", "a", "continuation"]
RUN echo continued to the end of the file \
