# want: 3: --retries: invalid value "-1"
FROM alpine
HEALTHCHECK --retries=-1 CMD true
