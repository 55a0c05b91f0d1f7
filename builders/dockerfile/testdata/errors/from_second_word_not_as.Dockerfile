# want: 2: second argument of FROM should be AS
FROM alpine BS base
