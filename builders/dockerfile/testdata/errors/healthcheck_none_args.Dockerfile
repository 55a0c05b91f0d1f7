# want: 3: HEALTHCHECK NONE takes no arguments
FROM alpine
HEALTHCHECK NONE curl
