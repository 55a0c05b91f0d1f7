# want: 3: USER requires exactly one argument
FROM alpine
USER
