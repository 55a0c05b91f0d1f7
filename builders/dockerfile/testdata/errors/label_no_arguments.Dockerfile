# want: 3: LABEL requires at least one argument
FROM alpine
LABEL
