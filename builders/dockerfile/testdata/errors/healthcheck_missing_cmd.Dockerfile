# want: 3: missing command after HEALTHCHECK CMD
FROM alpine
HEALTHCHECK --retries=2 CMD
