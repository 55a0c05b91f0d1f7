# want: 3: when using JSON array syntax, arrays must be comprised of strings only
FROM alpine
CMD ["echo", 1]
