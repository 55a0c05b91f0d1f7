# want: 2: the line does not start with an instruction keyword: the Dockerfile must start with FROM or ARG
ghp_0123456789abcdefABCDEF0123456789abcd
