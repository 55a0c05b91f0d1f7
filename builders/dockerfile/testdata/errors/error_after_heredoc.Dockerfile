# want: 7: unknown flag: --bogus
FROM alpine
RUN <<EOF
line 1
line 2
EOF
COPY --bogus a b
