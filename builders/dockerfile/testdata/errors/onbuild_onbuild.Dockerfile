# want: 3: chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed
FROM alpine
ONBUILD ONBUILD RUN true
