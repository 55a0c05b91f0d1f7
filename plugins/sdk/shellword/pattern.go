package shellword

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The patterns of ${v#p}, ${v%p} and ${v/p/r} follow BuildKit's lexer
// (the reference the differential test in ./reference holds this package
// to): * and ? are wildcards, \ escapes only *, ? and \ (and a } or / of
// the ${...}), and there are no bracket expressions: [ is literal. The
// pattern still holds its escape characters (the lexer's pattern mode).

// trimPrefixPattern removes the shortest (or longest) prefix of v matching
// the pattern, as ${v#pattern} and ${v##pattern} do.
func trimPrefixPattern(v, pattern string, longest bool) (string, error) {
	re, err := globRegexp(pattern, longest, true)
	if err != nil {
		return "", fmt.Errorf("invalid pattern (%s) in substitution: %w", pattern, err)
	}
	if loc := re.FindStringIndex(v); loc != nil {
		v = v[loc[1]:]
	}
	return v, nil
}

// trimSuffixPattern is the ${v%pattern} / ${v%%pattern} counterpart: a
// regular expression cannot find the shortest rightmost match, so the
// value and the pattern are reversed and the prefix is trimmed.
func trimSuffixPattern(v, pattern string, longest bool) (string, error) {
	s, err := trimPrefixPattern(reverse(v), reversePattern(pattern), longest)
	if err != nil {
		return "", err
	}
	return reverse(s), nil
}

// globRegexp translates a pattern into a regular expression: * matches any
// run of characters (the shortest unless greedy), ? any one character.
func globRegexp(pattern string, greedy, anchored bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if anchored {
		b.WriteByte('^')
	}
	star := ".*?"
	if greedy {
		star = ".*"
	}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		ch := rs[i]
		switch ch {
		case '*':
			b.WriteString(star)
			continue
		case '?':
			b.WriteByte('.')
			continue
		case '\\':
			if i+1 < len(rs) && (rs[i+1] == '}' || rs[i+1] == '/') {
				continue
			}
			b.WriteByte('\\')
			if i++; i >= len(rs) {
				return nil, fmt.Errorf("invalid escape at the end of %q", pattern)
			}
			if ch = rs[i]; ch != '*' && ch != '?' && ch != '\\' {
				return nil, fmt.Errorf("invalid escape '\\%c'", ch)
			}
		case '[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$':
			b.WriteByte('\\')
		}
		b.WriteRune(ch)
	}
	return regexp.Compile(b.String())
}

// reversePattern reverses a pattern but keeps each escape before the
// character it escapes: a\*c gives c\*a.
func reversePattern(pattern string) string {
	rs := []rune(pattern)
	out := make([]rune, len(rs))
	last := len(rs) - 1
	for i := 0; i <= last; {
		if rs[i] == '\\' && i != last {
			out[last-i-1], out[last-i] = rs[i], rs[i+1]
			i += 2
			continue
		}
		out[last-i] = rs[i]
		i++
	}
	return string(out)
}

func reverse(s string) string {
	rs := []rune(s)
	slices.Reverse(rs)
	return string(rs)
}
