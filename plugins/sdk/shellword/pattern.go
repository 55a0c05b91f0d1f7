package shellword

import (
	"regexp"
	"strings"
)

// trimPrefixPattern removes the shortest (or longest) prefix of v matching
// the shell glob pattern, as ${v#pattern} and ${v##pattern} do.
func trimPrefixPattern(v, pattern string, longest bool) string {
	re, ok := globRegexp(pattern)
	if !ok {
		return v
	}
	for i := 0; i <= len(v); i++ {
		n := i
		if longest {
			n = len(v) - i
		}
		if re.MatchString(v[:n]) {
			return v[n:]
		}
	}
	return v
}

// trimSuffixPattern is the ${v%pattern} / ${v%%pattern} counterpart.
func trimSuffixPattern(v, pattern string, longest bool) string {
	re, ok := globRegexp(pattern)
	if !ok {
		return v
	}
	for i := 0; i <= len(v); i++ {
		n := len(v) - i
		if longest {
			n = i
		}
		if re.MatchString(v[n:]) {
			return v[:n]
		}
	}
	return v
}

// globRegexp translates a shell glob (*, ?, [...], \x) into an anchored
// regular expression. Unlike path.Match, * also matches '/'.
func globRegexp(pattern string) (*regexp.Regexp, bool) {
	var b strings.Builder
	b.WriteString(`^`)
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch ch := rs[i]; ch {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(rs) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				b.WriteString(`\[`)
				continue
			}
			class := string(rs[i+1 : j])
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	return re, err == nil
}
