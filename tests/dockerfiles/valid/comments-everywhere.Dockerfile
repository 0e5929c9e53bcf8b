# leading comment (not a directive: not key=value)
FROM busybox
    # indented comment
RUN echo a # not a comment: part of the command
#RUN echo commented out
ARG X=1 # the rest of the line is a value
