# want: 3: --mount: unsupported mount type "volume"
FROM alpine
RUN --mount=type=volume,target=/x true
