# want: 3: SHELL requires the arguments to be in JSON form
FROM alpine
SHELL /bin/bash -c
