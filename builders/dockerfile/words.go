package dockerfile

import (
	"unicode"
	"unicode/utf8"
)

// splitRaw splits s into whitespace-separated words the way Docker's parser
// does before expansion: quotes group words but are kept, and the escape
// character is kept together with the character it escapes.
func splitRaw(s string, escape rune) []string {
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
