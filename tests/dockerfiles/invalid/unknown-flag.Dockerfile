FROM busybox
COPY --fromm=build /a /b
