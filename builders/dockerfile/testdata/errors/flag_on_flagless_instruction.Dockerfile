# want: 3: unknown flag: --x
FROM alpine
WORKDIR --x /a
