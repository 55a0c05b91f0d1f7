# want: 3: unknown flag: --from
FROM alpine
ONBUILD --from=x COPY a b
