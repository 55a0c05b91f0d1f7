# want: 3: CMD requires at least one argument
FROM alpine
CMD
