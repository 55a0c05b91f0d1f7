# want: 3: RUN before the first FROM: no build stage in current context
ARG X=1
RUN echo $X
FROM alpine
