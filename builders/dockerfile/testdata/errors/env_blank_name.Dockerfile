# want: 3: ENV names can not be blank
FROM alpine
ENV =x
