# want: 3: unknown flag: --nope
FROM alpine
ONBUILD RUN --nope true
