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
	// heredoc reads a here-document body: quotes are ordinary characters
	// and the escape character only escapes a '$' (it is kept otherwise).
	heredoc bool
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
	return l.until(0, cooked)
}

// mode says what happens to escape characters, as BuildKit's lexer does.
type mode int

const (
	cooked  mode = iota // an escape character is removed
	raw                 // escape characters are kept (a ${v/p/replacement})
	pattern             // kept, and doubled inside single quotes (a ${v#pattern})
)

// until processes input up to the stop character (0: end of input) and
// returns the text and its split into words.
func (l *lexer) until(stop rune, m mode) (string, []string, error) {
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
		switch {
		case (ch == '\'' || ch == '"') && !l.heredoc:
			s, err := l.quoted(ch, m)
			if err != nil {
				return "", nil, err
			}
			out.WriteString(s)
			w.addRaw(s)
		case ch == '<':
			s := l.angle()
			out.WriteString(s)
			w.addRaw(s)
		case ch == '$':
			s, err := l.dollar()
			if err != nil {
				return "", nil, err
			}
			out.WriteString(s)
			w.addExpanded(s)
		case ch == l.escape:
			s, end := l.escaped(m)
			out.WriteString(s)
			w.addRaw(s)
			if end {
				return l.end(stop, out.String(), w.finish())
			}
		default:
			l.skip()
			w.addRune(ch, l.last())
			out.WriteString(l.last())
		}
	}
	return l.end(stop, out.String(), w.finish())
}

// escaped reads the escape character at the lexer's position and the
// character it escapes, and returns the text they stand for: the escaped
// character, or both outside the cooked mode. In a here-document body
// only a '$' is escaped. end is set when the input ends after an escape
// character (then dropped in the cooked mode).
func (l *lexer) escaped(m mode) (text string, end bool) {
	start := l.pos
	l.skip()
	next, ok := l.peek()
	switch {
	case l.heredoc && m == cooked:
		if ok && next == '$' {
			l.skip()
			return "$", false
		}
		return l.last(), false
	case !ok && m == cooked:
		return "", true
	case !ok:
		return l.src[start:l.pos], true
	}
	l.skip()
	if m == cooked {
		return l.last(), false
	}
	return l.src[start:l.pos], false
}

func (l *lexer) end(stop rune, s string, words []string) (string, []string, error) {
	if stop != 0 {
		return "", nil, fmt.Errorf("unexpected end of statement while looking for matching %c", stop)
	}
	return s, words, nil
}

func (l *lexer) quoted(q rune, m mode) (string, error) {
	if q == '\'' {
		return l.singleQuoted(m)
	}
	return l.doubleQuoted(m)
}

// angle reads "<" or, as BuildKit does for a here-document, "<<" with the
// blanks after it, which then stay in the same word.
func (l *lexer) angle() string {
	start := l.pos
	l.skip()
	if ch, ok := l.peek(); !ok || ch != '<' {
		return "<"
	}
	l.skip()
	for ch, ok := l.peek(); ok && (ch == ' ' || ch == '\t' || ch == '\r'); ch, ok = l.peek() {
		l.skip()
	}
	return l.src[start:l.pos]
}

func (l *lexer) singleQuoted(m mode) (string, error) {
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
		if m == pattern && ch == l.escape {
			out.WriteString(l.last())
		}
		out.WriteString(l.last())
	}
}

// doubleQuoted expands variables; the escape character only escapes ", $
// and itself, and is kept before anything else. Outside the cooked mode
// it is always kept, and doubled before anything else.
func (l *lexer) doubleQuoted(m mode) (string, error) {
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
				if m != cooked {
					// kept; before another character doubled, as
					// BuildKit does, so that a pattern reads it literally
					out.WriteString(l.last())
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
	switch op {
	case '}':
		v, set := l.get(name)
		if !set && l.skipUnset {
			return "${" + name + "}", nil
		}
		return v, nil
	case '/':
		return l.replace(name)
	case ':', '-', '+', '?', '#', '%':
		return l.modifier(name, op)
	}
	return "", fmt.Errorf("unsupported modifier (%c) in substitution", op)
}

// modifier handles ${name<op>word} and ${name:<op>word}; op has been
// read. The steps follow BuildKit's: the word is read before the
// operator is checked, and an unset variable with KeepUnset stays as
// written.
func (l *lexer) modifier(name string, op rune) (string, error) {
	mod := string(op)
	colon := op == ':'
	if colon {
		var ok bool
		if op, ok = l.next(); !ok {
			return "", errors.New("syntax error: missing '}'")
		}
		mod += string(op)
	}
	trim := op == '#' || op == '%'
	if colon && trim {
		return "", fmt.Errorf("unsupported modifier (%s) in substitution", mod)
	}
	m := cooked
	if trim {
		m = pattern
	}
	word, err := l.braceWord('}', m)
	if err != nil {
		return "", err
	}
	v, set := l.get(name)
	if !set && l.skipUnset {
		return "${" + name + mod + word + "}", nil
	}
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
	case '#', '%':
		// ## and %% remove the longest match
		longest := strings.HasPrefix(word, string(op))
		if longest {
			word = word[1:]
		}
		if op == '#' {
			return trimPrefixPattern(v, word, longest)
		}
		return trimSuffixPattern(v, word, longest)
	default:
		return "", fmt.Errorf("unsupported modifier (%s) in substitution", mod)
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

// braceWord processes a word of a ${...} up to the stop character.
func (l *lexer) braceWord(stop rune, m mode) (string, error) {
	word, _, err := l.until(stop, m)
	if err != nil && l.pos >= len(l.src) {
		if stop == '/' {
			return "", errors.New("syntax error: missing '/' in ${}")
		}
		return "", errors.New("syntax error: missing '}'")
	}
	return word, err
}

// replace handles ${name/pattern/replacement} (the first match) and
// ${name//pattern/replacement} (every match); the first '/' has been read.
func (l *lexer) replace(name string) (string, error) {
	all := false
	if ch, ok := l.peek(); ok && ch == '/' {
		all = true
		l.skip()
	}
	pat, err := l.braceWord('/', pattern)
	if err != nil {
		return "", err
	}
	repl, err := l.braceWord('}', raw)
	if err != nil {
		return "", err
	}
	v, set := l.get(name)
	if !set && l.skipUnset {
		return "${" + name + "/" + pat + "/" + repl + "}", nil
	}
	re, err := globRegexp(pat, true, false)
	if err != nil {
		return "", fmt.Errorf("invalid pattern (%s) in substitution: %w", pat, err)
	}
	if all {
		// as BuildKit: $1 and ${name} in the replacement refer to groups
		return re.ReplaceAllString(v, repl), nil
	}
	if loc := re.FindStringIndex(v); loc != nil {
		v = v[:loc[0]] + repl + v[loc[1]:]
	}
	return v, nil
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
