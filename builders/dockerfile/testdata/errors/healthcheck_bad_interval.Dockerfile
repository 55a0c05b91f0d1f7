# want: 3: --interval: invalid duration "often"
FROM alpine
HEALTHCHECK --interval=often CMD true
