// Package shellword is the small shell-word language of Dockerfiles:
// variable expansion ($VAR, ${VAR}, ${VAR:-word} and the other forms
// Docker knows), quote removal and word splitting. It is not a shell:
// there is no command substitution, globbing or arithmetic.
//
// hull's own instructions (the build engine and the built-in handlers)
// use this package, so a plugin that uses it, directly or through
// sdk.Expand and sdk.Words, expands its arguments exactly as COPY or ENV
// would.
package shellword

import "strings"

// Lookup returns the value of a variable and whether it is set.
type Lookup func(name string) (string, bool)

// Options change how text is read.
type Options struct {
	// Escape is the escape character (the Dockerfile's "# escape="
	// directive); 0 means '\'.
	Escape rune
	// KeepUnset leaves references to unset variables as written ($NAME,
	// ${NAME}) instead of expanding them to nothing.
	KeepUnset bool
}

// Expand expands variables in word the way Docker's shell lexer does and
// removes the quotes: $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
// ${VAR+word}, ${VAR:?msg}, ${VAR?msg} and the pattern forms ${VAR#p},
// ${VAR##p}, ${VAR%p}, ${VAR%%p}. Single quotes are literal; double quotes
// allow expansion; the escape character makes the next character literal.
// Whitespace is kept: the result is one word. A nil lookup treats every
// variable as unset.
func Expand(word string, lookup Lookup, opts Options) (string, error) {
	s, _, err := newLexer(word, lookup, opts).process()
	return s, err
}

// Words expands s like Expand and splits the result into words: blanks
// outside quotes separate words, and so do blanks inside the value of an
// unquoted variable. Empty words are dropped, as Docker does.
func Words(s string, lookup Lookup, opts Options) ([]string, error) {
	_, words, err := newLexer(s, lookup, opts).process()
	return words, err
}

// ExpandHeredoc expands the variables of a here-document body and nothing
// else: quotes stay as written (BuildKit expands bodies with quote
// processing off). `\$` gives a literal dollar; other backslashes are
// kept. Use it only for a body whose delimiter was not quoted
// (Heredoc.Expand).
func ExpandHeredoc(body string, lookup Lookup) (string, error) {
	var b strings.Builder
	for i := 0; i < len(body); {
		switch {
		case strings.HasPrefix(body[i:], `\$`):
			b.WriteByte('$')
			i += 2
		case body[i] == '$':
			n := varRefLen(body[i:])
			if n == 1 {
				b.WriteByte('$')
				i++
				continue
			}
			v, err := Expand(body[i:i+n], lookup, Options{})
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += n
		default:
			b.WriteByte(body[i])
			i++
		}
	}
	return b.String(), nil
}

// varRefLen returns the length of the variable reference at the start of
// s ("$NAME" or "${...}" with nested braces), 1 when "$" starts none.
func varRefLen(s string) int {
	if strings.HasPrefix(s, "${") {
		depth := 0
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '{':
				depth++
			case '}':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return 1
	}
	i := 1
	for i < len(s) && (s[i] == '_' || isAlnum(s[i]) && (i > 1 || !isDigit(s[i]))) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
