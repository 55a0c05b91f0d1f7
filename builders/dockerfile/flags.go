package dockerfile

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type flagKind int

const (
	flagString flagKind = iota
	flagBool
	flagRepeat // a string flag that may be given several times
)

// splitFlags separates the leading --flag words from the rest of an
// instruction's arguments. Quotes and the backslash inside a flag word group
// and escape characters and are removed; a bare "--" ends the flags.
func splitFlags(s string) (flags []string, rest string) {
	i := 0
	for {
		for i < len(s) {
			ch, w := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(ch) {
				break
			}
			i += w
		}
		if !strings.HasPrefix(s[i:], "--") {
			return flags, s[i:]
		}
		word, n := flagWord(s[i:])
		i += n
		if word == "--" {
			return flags, strings.TrimLeftFunc(s[i:], unicode.IsSpace)
		}
		flags = append(flags, word)
	}
}

// flagWord reads one flag word from the start of s and returns it unquoted
// with the number of bytes consumed.
func flagWord(s string) (string, int) {
	var b strings.Builder
	var quote rune
	i := 0
	for i < len(s) {
		ch, w := utf8.DecodeRuneInString(s[i:])
		if quote == 0 && unicode.IsSpace(ch) {
			break
		}
		i += w
		switch {
		case quote != 0 && ch == quote:
			quote = 0
		case quote == 0 && (ch == '\'' || ch == '"'):
			quote = ch
		case ch == '\\' && i < len(s):
			ch, w = utf8.DecodeRuneInString(s[i:])
			i += w
			b.WriteRune(ch)
		case ch == '\\':
			// a backslash at the end is dropped
		default:
			b.WriteRune(ch)
		}
	}
	return b.String(), i
}

// parseFlags checks flag words against the flags an instruction accepts.
// known is nil for unknown keywords: their flags are kept unchecked.
func parseFlags(words []string, known map[string]flagKind, checked bool) ([]Flag, error) {
	var flags []Flag
	seen := map[string]bool{}
	for _, word := range words {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(word, "--"), "=")
		if !checked {
			flags = append(flags, Flag{Name: name, Value: value})
			continue
		}
		kind, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("unknown flag: --%s", name)
		}
		if kind != flagRepeat && seen[name] {
			return nil, fmt.Errorf("duplicate flag specified: --%s", name)
		}
		seen[name] = true
		v, err := flagValue(name, kind, value, hasValue)
		if err != nil {
			return nil, err
		}
		flags = append(flags, Flag{Name: name, Value: v})
	}
	return flags, nil
}

func flagValue(name string, kind flagKind, value string, hasValue bool) (string, error) {
	if kind != flagBool {
		if !hasValue {
			return "", fmt.Errorf("missing a value on flag: --%s", name)
		}
		return value, nil
	}
	if !hasValue {
		return "true", nil
	}
	switch strings.ToLower(value) {
	case "":
		return "", fmt.Errorf("missing a value on flag: --%s", name)
	case "true":
		return "true", nil
	case "false":
		return "false", nil
	}
	return "", fmt.Errorf("expecting boolean value for flag --%s, not: %s", name, value)
}
