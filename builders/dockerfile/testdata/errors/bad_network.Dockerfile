# want: 3: network mode "bridge" not supported
FROM alpine
RUN --network=bridge true
