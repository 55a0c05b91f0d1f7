# want: 3: unterminated heredoc "EOF"
FROM alpine
RUN <<EOF
echo never ends
 EOF
