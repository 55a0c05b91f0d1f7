# want: 3: unterminated heredoc "END"
FROM alpine
RUN <<-END
	echo spaces are not tabs
    END
