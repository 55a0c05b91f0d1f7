# want: 3: ENV must have two arguments
FROM alpine
ENV A
