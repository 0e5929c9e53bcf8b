# syntax=docker/dockerfile:1.7
# escape=`
# check=skip=JSONArgsRecommended;error=true
FROM mcr.example/windows/servercore
COPY testfile.txt c:\
RUN dir c:\ `
    && echo done
ENV PATH="c:\Program Files\app;${PATH}"
