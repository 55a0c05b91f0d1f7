# want: 3: FROM isn't allowed as an ONBUILD trigger
FROM alpine
ONBUILD from alpine
