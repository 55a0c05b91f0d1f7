# want: 6: FROM requires either one or three arguments
FROM alpine
RUN echo \
  a \
  b
FROM a b c d
