# want: 3: unknown type "RUN" in HEALTHCHECK (try CMD)
FROM alpine
HEALTHCHECK RUN curl
