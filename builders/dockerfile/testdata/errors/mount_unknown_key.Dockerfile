# want: 3: --mount: unexpected key 'colour' in 'type=cache,target=/x,colour=red'
FROM alpine
RUN --mount=type=cache,target=/x,colour=red true
