# want: 3: unknown flag: --from
FROM alpine
ADD --from=build /a /b
