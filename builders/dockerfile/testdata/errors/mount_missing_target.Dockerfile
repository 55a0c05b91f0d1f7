# want: 3: --mount: mount type cache requires a target
FROM alpine
RUN --mount=type=cache,id=x true
