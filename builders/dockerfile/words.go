package dockerfile

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitRaw splits s into whitespace-separated words the way Docker's parser
// does before expansion: quotes group words but are kept, and the escape
// character is kept together with the character it escapes.
func splitRaw(s string, escape rune) []string {
	return splitRawWords(s, escape, false)
}

// splitHeredocWords is splitRaw for finding heredoc markers, as BuildKit's
// lexer does it: "<<" outside quotes takes the blanks after it into its
// word ("<< EOF" is one marker).
func splitHeredocWords(s string) []string {
	return splitRawWords(s, '\\', true)
}

func splitRawWords(s string, escape rune, heredoc bool) []string {
	var (
		words   []string
		word    []rune
		inWord  bool
		quote   rune
		blankOK bool
	)
	flush := func() {
		if blankOK || len(word) > 0 {
			words = append(words, string(word))
		}
		word, inWord, blankOK = word[:0:0], false, false
	}
	for i := 0; i < len(s); {
		ch, w := utf8.DecodeRuneInString(s[i:])
		i += w
		switch {
		case quote != 0 && ch == escape && quote != '\'':
			// inside double quotes the escape keeps the next character;
			// one at the very end is dropped
			if i < len(s) {
				next, w := utf8.DecodeRuneInString(s[i:])
				i += w
				word = append(word, ch, next)
			}
		case quote != 0:
			word = append(word, ch)
			if ch == quote {
				quote = 0
			}
		case unicode.IsSpace(ch):
			if inWord {
				flush()
			}
		case heredoc && ch == '<' && strings.HasPrefix(s[i:], "<"):
			inWord = true
			word = append(word, '<', '<')
			i++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
				word = append(word, rune(s[i]))
				i++
			}
		case ch == escape:
			inWord = true
			if i < len(s) {
				next, w := utf8.DecodeRuneInString(s[i:])
				i += w
				word = append(word, ch, next)
			}
		default:
			inWord = true
			if ch == '\'' || ch == '"' {
				quote, blankOK = ch, true
			}
			word = append(word, ch)
		}
	}
	if inWord {
		flush()
	}
	return words
}
