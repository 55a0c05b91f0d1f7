# want: 3: VOLUME specified can not be an empty string
FROM alpine
VOLUME ["/a", ""]
