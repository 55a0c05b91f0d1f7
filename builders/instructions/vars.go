package instructions

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hull-project/hull/builders/dockerfile"
	"github.com/hull-project/hull/plugins/sdk/shellword"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// escape is the only escape character the handlers know (see the package
// doc).
const escape = '\\'

// lookup resolves a variable the way Docker does: the stage's ENV first,
// then the build args in scope.
func lookup(req sdk.Request) dockerfile.Lookup {
	return func(name string) (string, bool) {
		if v, ok := envValue(req.Config.Env, name); ok {
			return v, true
		}
		v, ok := req.BuildArgs[name]
		return v, ok
	}
}

// envValue returns the value of name in a KEY=value list; the last
// occurrence wins, as in a process environment built by appending.
func envValue(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(env[i], "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// setEnv returns env with name set to value, in place of an existing entry
// (Docker keeps the original position) or appended.
func setEnv(env []string, name, value string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == name {
			env[i] = name + "=" + value
			return env
		}
	}
	return append(env, name+"="+value)
}

// expand expands one word with req's variables.
func expand(req sdk.Request, word string) (string, error) {
	return dockerfile.Expand(word, lookup(req), escape)
}

// expandWords expands shell-form text with req's variables into words.
func expandWords(req sdk.Request, text string) ([]string, error) {
	return dockerfile.ExpandWords(text, lookup(req), escape)
}

// expandEach expands every element of a JSON-form argument list.
func expandEach(req sdk.Request, words []string) ([]string, error) {
	var out []string
	for _, w := range words {
		e, err := expand(req, w)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// argWords returns the instruction's arguments as expanded words: JSON
// elements one by one, shell form split after expansion.
func argWords(req sdk.Request) ([]string, error) {
	in := req.Instruction
	if in.JSON {
		return expandEach(req, in.Args)
	}
	return expandWords(req, strings.Join(in.Args, " "))
}

// buildArgEnv returns the build args as KEY=value, sorted by name, with
// the ENV value for a name that ENV also sets (BuildKit's history does so).
func buildArgEnv(req sdk.Request) []string {
	names := slices.Sorted(maps.Keys(req.BuildArgs))
	out := make([]string, 0, len(names))
	for _, n := range names {
		v := req.BuildArgs[n]
		if ev, ok := envValue(req.Config.Env, n); ok {
			v = ev
		}
		out = append(out, n+"="+v)
	}
	return out
}

// cloneConfig deep-copies c, so that a handler never writes into the
// request's slices and maps.
func cloneConfig(c sdk.Config) sdk.Config {
	c.Env = slices.Clone(c.Env)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Cmd = slices.Clone(c.Cmd)
	c.Labels = maps.Clone(c.Labels)
	c.ExposedPorts = slices.Clone(c.ExposedPorts)
	c.Volumes = slices.Clone(c.Volumes)
	c.Shell = slices.Clone(c.Shell)
	c.OnBuild = slices.Clone(c.OnBuild)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		c.Healthcheck = &h
	}
	return c
}

// shell returns the SHELL in effect.
func shell(c sdk.Config) []string {
	if len(c.Shell) > 0 {
		return slices.Clone(c.Shell)
	}
	return []string{"/bin/sh", "-c"}
}

// commandLine returns a CMD/ENTRYPOINT/RUN argv: the shell with the raw
// command for shell form, the JSON array as is.
func commandLine(req sdk.Request) []string {
	in := req.Instruction
	if in.JSON {
		return slices.Clone(in.Args)
	}
	return append(shell(req.Config), strings.Join(in.Args, " "))
}

// flags holds an instruction's flags checked against what it accepts.
type flags struct {
	values map[string][]string
}

// parseFlags refuses flags the keyword does not know; the parser checks
// them too, but a request may come from elsewhere (an ONBUILD trigger).
func parseFlags(in sdk.Instruction, known ...string) (flags, error) {
	f := flags{values: map[string][]string{}}
	for _, fl := range in.Flags {
		if !slices.Contains(known, fl.Name) {
			return flags{}, errUnknownFlag(in.Keyword, fl.Name)
		}
		f.values[fl.Name] = append(f.values[fl.Name], fl.Value)
	}
	return f, nil
}

// get returns the last value of a flag.
func (f flags) get(name string) (string, bool) {
	v := f.values[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// all returns every value of a repeatable flag.
func (f flags) all(name string) []string { return f.values[name] }

func errUnknownFlag(keyword, name string) error {
	return fmt.Errorf("unknown flag: --%s for %s", name, keyword)
}

func errFlagValue(name, value string) error {
	return fmt.Errorf("invalid value %q for --%s", value, name)
}

// bool reads a boolean flag: a bare --flag is true (the parser writes
// "true", the wire may carry "").
func (f flags) bool(name string) (bool, error) {
	v, ok := f.get(name)
	if !ok {
		return false, nil
	}
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errFlagValue(name, v)
	}
	return b, nil
}

// appendUnique appends vals to list, skipping those already there.
func appendUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// expandHeredoc expands the variables of a heredoc body and nothing else:
// quotes stay as written (BuildKit expands bodies with quote processing
// off). `\$` gives a literal dollar; other backslashes are kept. Plugins
// get the same code as sdk.ExpandHeredoc.
func expandHeredoc(req sdk.Request, body string) (string, error) {
	return shellword.ExpandHeredoc(body, lookup(req))
}
