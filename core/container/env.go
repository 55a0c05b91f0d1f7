package container

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// LookupEnv reads the caller's environment; tests replace it.
type LookupEnv func(key string) (string, bool)

// UserEnv returns the variables given on the command line in Docker's
// order: --env-file contents first, then -e flags. A bare NAME takes the
// caller's value; an unset bare NAME stays bare, which later removes NAME
// from the image's environment (-e only; env files drop it, as Docker does).
func UserEnv(envFiles, env []string, lookup LookupEnv) ([]string, error) {
	var out []string
	for _, f := range envFiles {
		vars, err := ReadEnvFile(f, lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, vars...)
	}
	for _, e := range env {
		k, _, hasValue := strings.Cut(e, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid environment variable: %s", e)
		}
		if !hasValue {
			if v, ok := lookup(k); ok {
				e = k + "=" + v
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadEnvFile reads a Docker env file: one NAME=value a line, values taken
// verbatim (no quotes, no trimming), blank lines and lines starting with
// '#' skipped, a bare NAME taking the caller's value or dropped if unset.
func ReadEnvFile(path string, lookup LookupEnv) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read env file: %w", err)
	}
	vars, err := parseEnvFile(b, lookup)
	if err != nil {
		return nil, fmt.Errorf("env file %s: %w", path, err)
	}
	return vars, nil
}

func parseEnvFile(b []byte, lookup LookupEnv) ([]string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	var vars []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if !utf8.Valid(sc.Bytes()) {
			return nil, fmt.Errorf("invalid utf8 bytes at line %d", n)
		}
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, hasValue := strings.Cut(line, "=")
		if strings.ContainsAny(name, " \t\n\v\f\r") {
			return nil, fmt.Errorf("variable '%s' contains whitespaces", name)
		}
		if name == "" {
			return nil, fmt.Errorf("no variable name on line '%s'", line)
		}
		if hasValue {
			vars = append(vars, name+"="+value)
		} else if v, ok := lookup(name); ok {
			vars = append(vars, name+"="+v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vars, nil
}

// MergeImageEnv is the container's configured environment as Docker keeps
// it in Config.Env: the user's variables, then the image's variables the
// user did not name.
func MergeImageEnv(user, image []string) []string {
	named := make(map[string]bool, len(user))
	for _, e := range user {
		k, _, _ := strings.Cut(e, "=")
		named[k] = true
	}
	out := append([]string(nil), user...)
	for _, e := range image {
		k, _, _ := strings.Cut(e, "=")
		if !named[k] {
			out = append(out, e)
		}
	}
	return out
}

// ProcessEnv is the environment the process starts with, built as Docker
// does: PATH, HOSTNAME and (with a tty) TERM=xterm as defaults, overridden
// in place or extended by the configured variables; a bare NAME removes the
// default. HOME is added last from the user's passwd entry when unset.
func ProcessEnv(config []string, hostname string, tty bool, home string) []string {
	env := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname}
	if tty {
		env = append(env, "TERM=xterm")
	}
	env = ReplaceOrAppendEnv(env, config)
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			return env
		}
	}
	return append(env, "HOME="+home)
}

// ReplaceOrAppendEnv overrides defaults with overrides: a NAME=value
// replaces NAME in place or is appended, a bare NAME deletes it.
func ReplaceOrAppendEnv(defaults, overrides []string) []string {
	out := append([]string(nil), defaults...)
	index := make(map[string]int, len(out))
	for i, e := range out {
		k, _, _ := strings.Cut(e, "=")
		index[k] = i
	}
	for _, e := range overrides {
		k, _, hasValue := strings.Cut(e, "=")
		i, exists := index[k]
		switch {
		case !hasValue && exists:
			out[i] = ""
		case !hasValue:
		case exists:
			out[i] = e
		default:
			index[k] = len(out)
			out = append(out, e)
		}
	}
	kept := out[:0]
	for _, e := range out {
		if e != "" {
			kept = append(kept, e)
		}
	}
	return kept
}
