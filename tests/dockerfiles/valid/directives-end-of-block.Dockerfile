#  SYNTAX  =  example/frontend:latest  with args
# this comment ends the directive block
# escape=`
FROM busybox
RUN echo one \
    two
