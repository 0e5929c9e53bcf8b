FROM busybox AS build
FROM busybox
COPY --from=build /out /app
COPY --from=0 --chown=1000:1000 --chmod=640 config.yaml /etc/app/
COPY --link --parents ./src/./pkg/ /work/
COPY --link=false --exclude=*.md --exclude=tests/ . /src
COPY --chown="app user" "quoted path" /dst/
COPY --chown=1 -- --dashed-file /dst/
COPY ["with space.txt", "/json form/"]
