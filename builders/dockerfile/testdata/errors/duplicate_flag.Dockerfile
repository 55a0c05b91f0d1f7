# want: 3: duplicate flag specified: --from
FROM alpine
COPY --from=a --from=b x y
