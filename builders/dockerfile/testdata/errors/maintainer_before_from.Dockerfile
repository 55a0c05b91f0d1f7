# want: 2: MAINTAINER before the first FROM: no build stage in current context
MAINTAINER me
FROM alpine
