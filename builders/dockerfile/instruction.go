package dockerfile

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode"
)

// argForm says how an instruction's arguments are read.
type argForm int

const (
	argsRaw       argForm = iota // one raw string
	argsMaybeJSON                // a JSON array of strings, else one raw string
)

// KnownFlag reports whether the built-in instruction keyword accepts the
// flag --name.
func KnownFlag(keyword, name string) bool {
	_, ok := specs[strings.ToUpper(keyword)].flags[name]
	return ok
}

// spec describes a known instruction: its flags, argument form and check.
type spec struct {
	flags map[string]flagKind
	form  argForm
	check func(inst *Instruction, escape rune) error
}

var specs = map[string]spec{
	"FROM":        {flags: map[string]flagKind{"platform": flagString}, check: checkFrom},
	"RUN":         {flags: runFlags, form: argsMaybeJSON, check: checkRun},
	"CMD":         {form: argsMaybeJSON, check: checkShellArgs},
	"ENTRYPOINT":  {form: argsMaybeJSON, check: checkShellArgs},
	"SHELL":       {form: argsMaybeJSON, check: checkShell},
	"COPY":        {flags: copyFlags, form: argsMaybeJSON, check: checkCopy},
	"ADD":         {flags: addFlags, form: argsMaybeJSON, check: checkCopy},
	"VOLUME":      {form: argsMaybeJSON, check: checkVolume},
	"ENV":         {check: checkKeyValues},
	"LABEL":       {check: checkKeyValues},
	"ARG":         {check: checkArg},
	"EXPOSE":      {check: checkAtLeastOne},
	"USER":        {check: checkExactlyOne},
	"WORKDIR":     {check: checkExactlyOne},
	"STOPSIGNAL":  {check: checkExactlyOne},
	"MAINTAINER":  {check: checkExactlyOne},
	"HEALTHCHECK": {flags: healthFlags, check: checkHealthcheck},
	"ONBUILD":     {}, // checked by parseInstruction: the check recurses into it
}

var (
	runFlags  = map[string]flagKind{"mount": flagRepeat, "network": flagString, "security": flagString}
	copyFlags = map[string]flagKind{
		"from": flagString, "chown": flagString, "chmod": flagString, "link": flagBool,
		"parents": flagBool, "exclude": flagRepeat,
	}
	addFlags = map[string]flagKind{
		"chown": flagString, "chmod": flagString, "link": flagBool, "keep-git-dir": flagBool,
		"checksum": flagString, "exclude": flagRepeat,
	}
	healthFlags = map[string]flagKind{
		"interval": flagString, "timeout": flagString, "start-period": flagString,
		"start-interval": flagString, "retries": flagString,
	}
)

// errNotStringArray is Docker's error for a JSON array with non-strings.
var errNotStringArray = errors.New("when using JSON array syntax, arrays must be comprised of strings only")

// ParseInstructionLine parses one instruction written on a single logical
// line with the default escape character, such as an ONBUILD trigger kept in
// an image configuration. Here-document bodies cannot follow it, so Heredocs
// only name the markers. Errors are *Error with Line 1.
func ParseInstructionLine(line string) (Instruction, error) {
	inst, err := parseInstruction(line, '\\')
	if err != nil {
		return Instruction{}, &Error{Line: 1, Msg: err.Error()}
	}
	inst.StartLine, inst.EndLine = 1, 1
	if inst.Heredocs, err = heredocMarkers(&inst, '\\', nil); err != nil {
		return Instruction{}, &Error{Line: 1, Msg: "heredoc: " + err.Error()}
	}
	return inst, nil
}

// parseInstruction parses a logical line (continuations already joined).
func parseInstruction(line string, escape rune) (Instruction, error) {
	return parseInstructionWith(line, escape, nil)
}

// parseInstructionWith is parseInstruction where the keywords in plugin
// are parsed as unknown ones: flags and arguments unchecked, for the
// plugin that handles them to check. FROM and ARG stay checked: the
// engine handles them whatever claims them.
func parseInstructionWith(line string, escape rune, plugin map[string]bool) (Instruction, error) {
	line = strings.TrimSpace(line)
	word, rest := cutSpace(line)
	inst := Instruction{Keyword: strings.ToUpper(word), Original: line}
	flagWords, rest := splitFlags(rest)
	rest = strings.TrimSpace(rest)
	sp, known := specs[inst.Keyword]
	if plugin[inst.Keyword] && inst.Keyword != "FROM" && inst.Keyword != "ARG" {
		sp, known = spec{}, false
	}
	var err error
	if inst.Flags, err = parseFlags(flagWords, sp.flags, known); err != nil {
		return Instruction{}, err
	}
	if !known {
		sp.form = argsMaybeJSON
	}
	if err := setArgs(&inst, rest, sp.form); err != nil {
		return Instruction{}, err
	}
	check := sp.check
	if inst.Keyword == "ONBUILD" {
		check = checkOnbuild
	}
	if check != nil {
		if err := check(&inst, escape); err != nil {
			return Instruction{}, err
		}
	}
	return inst, nil
}

// setArgs fills Args (and JSON) from the argument text.
func setArgs(inst *Instruction, rest string, form argForm) error {
	if rest == "" {
		return nil
	}
	if form == argsMaybeJSON {
		elems, err := parseJSONArray(rest)
		if err == nil {
			inst.Args, inst.JSON = elems, true
			return nil
		}
		if errors.Is(err, errNotStringArray) {
			return err
		}
	}
	inst.Args = []string{rest}
	return nil
}

// parseJSONArray decodes s when it is exactly one JSON array of strings.
// Anything else that is not JSON is shell form; an array with non-strings is
// errNotStringArray, as in Docker.
func parseJSONArray(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return nil, errors.New("not a JSON array")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	var vals []any
	if err := dec.Decode(&vals); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s[dec.InputOffset():]) != "" {
		return nil, errors.New("trailing data after JSON array")
	}
	elems := make([]string, 0, len(vals))
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			return nil, errNotStringArray
		}
		elems = append(elems, str)
	}
	return elems, nil
}

// cutSpace splits s at its first run of white space.
func cutSpace(s string) (string, string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeftFunc(s[i:], unicode.IsSpace)
}
