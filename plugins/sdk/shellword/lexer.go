package shellword

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lexer is Docker's small shell-word language. It is not a shell: there is
// no command substitution, globbing or arithmetic.
type lexer struct {
	src       string
	pos       int // byte offset of the next rune
	prev      int // byte offset of the last rune consumed
	escape    rune
	lookup    Lookup
	skipUnset bool // keep $NAME of unset variables (heredoc delimiters)
}

func newLexer(s string, lookup Lookup, opts Options) *lexer {
	escape := opts.Escape
	if escape == 0 {
		escape = '\\'
	}
	return &lexer{src: s, escape: escape, lookup: lookup, skipUnset: opts.KeepUnset}
}

func (l *lexer) peek() (rune, bool) {
	if l.pos >= len(l.src) {
		return 0, false
	}
	ch, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return ch, true
}

// skip consumes one rune.
func (l *lexer) skip() {
	_, w := utf8.DecodeRuneInString(l.src[l.pos:])
	l.prev, l.pos = l.pos, l.pos+w
}

// last returns the bytes of the last rune consumed, so that invalid UTF-8
// passes through unchanged.
func (l *lexer) last() string { return l.src[l.prev:l.pos] }

func (l *lexer) next() (rune, bool) {
	ch, ok := l.peek()
	if ok {
		l.skip()
	}
	return ch, ok
}

func (l *lexer) get(name string) (string, bool) {
	if l.lookup == nil {
		return "", false
	}
	return l.lookup(name)
}

func (l *lexer) process() (string, []string, error) {
	return l.until(0)
}

// until processes input up to the stop character (0: end of input) and
// returns the text and its split into words.
func (l *lexer) until(stop rune) (string, []string, error) {
	var out strings.Builder
	var w wordSplitter
	for {
		ch, ok := l.peek()
		if !ok {
			break
		}
		if stop != 0 && ch == stop {
			l.skip()
			return out.String(), w.finish(), nil
		}
		switch ch {
		case '\'', '"':
			s, err := l.quoted(ch)
			if err != nil {
				return "", nil, err
			}
			out.WriteString(s)
			w.addRaw(s)
		case '$':
			s, err := l.dollar()
			if err != nil {
				return "", nil, err
			}
			out.WriteString(s)
			w.addExpanded(s)
		default:
			l.skip()
			if ch == l.escape {
				if ch, ok = l.next(); !ok {
					// An escape at the very end is dropped.
					return l.end(stop, out.String(), w.finish())
				}
				w.addRaw(l.last())
			} else {
				w.addRune(ch, l.last())
			}
			out.WriteString(l.last())
		}
	}
	return l.end(stop, out.String(), w.finish())
}

func (l *lexer) end(stop rune, s string, words []string) (string, []string, error) {
	if stop != 0 {
		return "", nil, fmt.Errorf("unexpected end of statement while looking for matching %c", stop)
	}
	return s, words, nil
}

func (l *lexer) quoted(q rune) (string, error) {
	if q == '\'' {
		return l.singleQuoted()
	}
	return l.doubleQuoted()
}

func (l *lexer) singleQuoted() (string, error) {
	l.skip()
	var out strings.Builder
	for {
		ch, ok := l.next()
		if !ok {
			return "", errors.New("unexpected end of statement while looking for matching single-quote")
		}
		if ch == '\'' {
			return out.String(), nil
		}
		out.WriteString(l.last())
	}
}

// doubleQuoted expands variables; the escape character only escapes ", $
// and itself, and is kept before anything else.
func (l *lexer) doubleQuoted() (string, error) {
	l.skip()
	var out strings.Builder
	for {
		ch, ok := l.peek()
		if !ok {
			return "", errors.New("unexpected end of statement while looking for matching double-quote")
		}
		switch {
		case ch == '"':
			l.skip()
			return out.String(), nil
		case ch == '$':
			s, err := l.dollar()
			if err != nil {
				return "", err
			}
			out.WriteString(s)
		default:
			l.skip()
			if ch == l.escape {
				next, ok := l.peek()
				if !ok {
					continue
				}
				if next == '"' || next == '$' || next == l.escape {
					ch = next
					l.skip()
				}
			}
			out.WriteString(l.last())
		}
	}
}

// dollar expands $NAME or ${...}; the lexer is positioned on the '$'.
func (l *lexer) dollar() (string, error) {
	l.skip()
	if ch, ok := l.peek(); !ok || ch != '{' {
		name := l.name()
		if name == "" {
			return "$", nil
		}
		v, set := l.get(name)
		if !set && l.skipUnset {
			return "$" + name, nil
		}
		return v, nil
	}
	l.skip()
	switch ch, ok := l.peek(); {
	case !ok:
		return "", errors.New("syntax error: missing '}'")
	case ch == '{' || ch == '}' || ch == ':':
		return "", errors.New("syntax error: bad substitution")
	}
	name := l.name()
	op, ok := l.next()
	if !ok {
		return "", errors.New("syntax error: missing '}'")
	}
	if op == '}' {
		v, set := l.get(name)
		if !set && l.skipUnset {
			return "${" + name + "}", nil
		}
		return v, nil
	}
	return l.modifier(name, op)
}

// modifier handles ${name<op>word}; op has been read.
func (l *lexer) modifier(name string, op rune) (string, error) {
	colon := op == ':'
	if colon {
		var ok bool
		if op, ok = l.next(); !ok {
			return "", errors.New("syntax error: missing '}'")
		}
	}
	if !colon && (op == '#' || op == '%') {
		return l.trim(name, op)
	}
	if op != '-' && op != '+' && op != '?' {
		return "", fmt.Errorf("unsupported modifier (%c) in substitution", op)
	}
	word, err := l.braceWord()
	if err != nil {
		return "", err
	}
	v, set := l.get(name)
	// With a colon an empty value counts as unset.
	present := set && (!colon || v != "")
	switch op {
	case '-':
		if !present {
			return word, nil
		}
	case '+':
		if present {
			return word, nil
		}
		return "", nil
	case '?':
		if !present {
			return "", unsetError(name, word, set, colon)
		}
	}
	return v, nil
}

func unsetError(name, word string, set, colon bool) error {
	if word == "" {
		word = "is not allowed to be unset"
		if colon && set {
			word = "is not allowed to be empty"
		}
	}
	return fmt.Errorf("%s: %s", name, word)
}

// braceWord processes the word of a ${name<op>word} up to the closing brace.
func (l *lexer) braceWord() (string, error) {
	word, _, err := l.until('}')
	if err != nil && l.pos >= len(l.src) {
		return "", errors.New("syntax error: missing '}'")
	}
	return word, err
}

// trim handles ${name#pattern}, ${name##pattern}, ${name%pattern} and
// ${name%%pattern}: op has been read.
func (l *lexer) trim(name string, op rune) (string, error) {
	longest := false
	if ch, ok := l.peek(); ok && ch == op {
		longest = true
		l.skip()
	}
	pattern, err := l.braceWord()
	if err != nil {
		return "", err
	}
	v, _ := l.get(name)
	if op == '#' {
		return trimPrefixPattern(v, pattern, longest), nil
	}
	return trimSuffixPattern(v, pattern, longest), nil
}

// name reads a variable name: letters, digits and '_', or a run of digits,
// or one special parameter character.
func (l *lexer) name() string {
	start := l.pos
	ch, ok := l.peek()
	if !ok {
		return ""
	}
	if unicode.IsDigit(ch) {
		for ok && unicode.IsDigit(ch) {
			l.skip()
			ch, ok = l.peek()
		}
		return l.src[start:l.pos]
	}
	if strings.ContainsRune("@*#?-$!", ch) {
		l.skip()
		return string(ch)
	}
	for ok && (unicode.IsLetter(ch) || unicode.IsDigit(ch) || ch == '_') {
		l.skip()
		ch, ok = l.peek()
	}
	return l.src[start:l.pos]
}

// wordSplitter accumulates words: blanks split words unless they are quoted
// or escaped.
type wordSplitter struct {
	words []string
	cur   strings.Builder
}

// addRune adds the rune ch, written as text, splitting at white space.
func (w *wordSplitter) addRune(ch rune, text string) {
	if unicode.IsSpace(ch) {
		w.flush()
		return
	}
	w.cur.WriteString(text)
}

func (w *wordSplitter) addRaw(s string) { w.cur.WriteString(s) }

func (w *wordSplitter) addExpanded(s string) {
	for i := 0; i < len(s); {
		ch, n := utf8.DecodeRuneInString(s[i:])
		w.addRune(ch, s[i:i+n])
		i += n
	}
}

func (w *wordSplitter) flush() {
	if w.cur.Len() > 0 {
		w.words = append(w.words, w.cur.String())
		w.cur.Reset()
	}
}

func (w *wordSplitter) finish() []string {
	w.flush()
	return w.words
}
