# want: 2: invalid name for build stage: "1base", name can't start with a number or contain symbols
FROM alpine AS 1base
