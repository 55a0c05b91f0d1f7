# want: 3: MAINTAINER isn't allowed as an ONBUILD trigger
FROM alpine
ONBUILD MAINTAINER me
