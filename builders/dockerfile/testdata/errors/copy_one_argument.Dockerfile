# want: 3: COPY requires at least two arguments, but only 1 provided: destination could not be determined
FROM alpine
COPY --from=build /app
