# want: 3: expecting boolean value for flag --link, not: maybe
FROM alpine
COPY --link=maybe a b
