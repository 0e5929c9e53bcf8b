FROM busybox
CMD [ "trailing", "comma", ]
CMD ['single', 'quotes']
RUN ["missing" "comma"]
ENTRYPOINT ["ok"] but trailing text
CMD [NaN]
