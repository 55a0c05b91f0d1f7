# want: 3: syntax error - can't find = in "B". Must be of the form: name=value
FROM alpine
ENV A=1 B
