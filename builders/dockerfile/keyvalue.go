package dockerfile

import (
	"errors"
	"fmt"
	"strings"
)

// ParseKeyValues splits ENV or LABEL arguments (keyword names the
// instruction in errors) into key/value pairs with the default escape
// character. Both forms are accepted: "K=V K2=V2" and the legacy "K V..."
// where the value is the rest of the line. Keys and values are returned
// unexpanded with their quotes, ready for Expand: `A="x y"` gives
// {"A", `"x y"`}.
func ParseKeyValues(args string, keyword string) ([][2]string, error) {
	return ParseKeyValuesEscape(args, keyword, '\\')
}

// ParseKeyValuesEscape is ParseKeyValues for a Dockerfile with another
// escape character (Directives.Escape).
func ParseKeyValuesEscape(args, keyword string, escape rune) ([][2]string, error) {
	words := splitRaw(args, escape)
	if len(words) == 0 {
		return nil, fmt.Errorf("%s requires at least one argument", keyword)
	}
	if !strings.Contains(words[0], "=") {
		key, value := cutSpace(strings.TrimSpace(args))
		if value == "" {
			return nil, fmt.Errorf("%s must have two arguments", keyword)
		}
		return [][2]string{{key, value}}, nil
	}
	pairs := make([][2]string, 0, len(words))
	for _, word := range words {
		key, value, ok := strings.Cut(word, "=")
		if !ok {
			return nil, fmt.Errorf("syntax error - can't find = in %q. Must be of the form: name=value", word)
		}
		if key == "" {
			return nil, fmt.Errorf("%s names can not be blank", keyword)
		}
		pairs = append(pairs, [2]string{key, value})
	}
	return pairs, nil
}

// ArgDef is one variable declared by ARG; Default is nil without "=".
type ArgDef struct {
	Name    string
	Default *string
}

// ParseArg parses "NAME" or "NAME=default" (the default unexpanded, with its
// quotes). For ARG lines that declare several variables use ParseArgs.
func ParseArg(args string) (name string, def *string, err error) {
	defs, err := ParseArgs(args)
	if err != nil {
		return "", nil, err
	}
	if len(defs) != 1 {
		return "", nil, errors.New("ARG requires exactly one argument")
	}
	return defs[0].Name, defs[0].Default, nil
}

// ParseArgs parses every "NAME[=default]" of an ARG line (BuildKit allows
// several) with the default escape character.
func ParseArgs(args string) ([]ArgDef, error) {
	return ParseArgsEscape(args, '\\')
}

// ParseArgsEscape is ParseArgs with another escape character.
func ParseArgsEscape(args string, escape rune) ([]ArgDef, error) {
	words := splitRaw(args, escape)
	if len(words) == 0 {
		return nil, errors.New("ARG requires at least one argument")
	}
	defs := make([]ArgDef, 0, len(words))
	for _, word := range words {
		name, value, hasDefault := strings.Cut(word, "=")
		if name == "" {
			return nil, errors.New("ARG names can not be blank")
		}
		d := ArgDef{Name: name}
		if hasDefault {
			d.Default = &value
		}
		defs = append(defs, d)
	}
	return defs, nil
}
