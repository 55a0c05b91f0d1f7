# want: 3: unknown flag: --foo
FROM alpine
RUN --foo=bar true
