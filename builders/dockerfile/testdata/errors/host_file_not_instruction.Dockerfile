# want: 2: the line does not start with an instruction keyword: the Dockerfile must start with FROM or ARG
root:x:0:0:root:/root:/bin/bash
FROM alpine
