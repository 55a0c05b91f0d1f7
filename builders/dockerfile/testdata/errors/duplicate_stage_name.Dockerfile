# want: 4: duplicate stage name "base" (first defined at line 2)
FROM alpine AS base
RUN true
FROM debian AS BASE
