# want: 2: FROM requires either one or three arguments
FROM alpine AS
