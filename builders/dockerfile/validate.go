package dockerfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// reStageName is Docker's rule for build stage names (after lower-casing).
// Compiled on first use: package init runs on every hull start.
var reStageName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-_.]*$`) })

func checkFrom(inst *Instruction, _ rune) error {
	words := fromWords(inst)
	if len(words) != 1 && len(words) != 3 {
		return errors.New("FROM requires either one or three arguments")
	}
	if len(words) == 3 {
		if !strings.EqualFold(words[1], "AS") {
			return errors.New("second argument of FROM should be AS")
		}
		if name := strings.ToLower(words[2]); !reStageName().MatchString(name) {
			return fmt.Errorf("invalid name for build stage: %q, name can't start with a number or contain symbols", words[2])
		}
	}
	return nil
}

// fromWords splits the FROM arguments: image [AS name].
func fromWords(inst *Instruction) []string {
	if len(inst.Args) == 0 {
		return nil
	}
	return strings.Fields(inst.Args[0])
}

func checkRun(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 {
		return errors.New("RUN requires at least one argument")
	}
	for _, f := range inst.Flags {
		if err := checkRunFlag(f); err != nil {
			return err
		}
	}
	return nil
}

func checkRunFlag(f Flag) error {
	switch f.Name {
	case "mount":
		if _, err := ParseMount(f.Value); err != nil {
			return fmt.Errorf("--mount: %w", err)
		}
	case "network":
		if f.Value != "default" && f.Value != "none" && f.Value != "host" && !strings.Contains(f.Value, "$") {
			return fmt.Errorf("network mode %q not supported", f.Value)
		}
	case "security":
		if f.Value != "sandbox" && f.Value != "insecure" {
			return fmt.Errorf("security mode %q not supported", f.Value)
		}
	}
	return nil
}

// checkShellArgs accepts an empty JSON array (CMD [] resets the command) but
// not a missing argument.
func checkShellArgs(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 && !inst.JSON {
		return fmt.Errorf("%s requires at least one argument", inst.Keyword)
	}
	return nil
}

func checkShell(inst *Instruction, _ rune) error {
	if len(inst.Args) > 0 && !inst.JSON {
		return errors.New("SHELL requires the arguments to be in JSON form")
	}
	if len(inst.Args) == 0 {
		return errors.New("SHELL requires at least one argument")
	}
	return nil
}

func checkCopy(inst *Instruction, escape rune) error {
	n := len(inst.Args)
	if !inst.JSON && n == 1 {
		n = len(splitRaw(inst.Args[0], escape))
	}
	if n < 2 {
		return fmt.Errorf("%s requires at least two arguments, but only %d provided: destination could not be determined", inst.Keyword, n)
	}
	return nil
}

func checkVolume(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 {
		return errors.New("VOLUME requires at least one argument")
	}
	for _, a := range inst.Args {
		if strings.TrimSpace(a) == "" {
			return errors.New("VOLUME specified can not be an empty string")
		}
	}
	return nil
}

func checkKeyValues(inst *Instruction, escape rune) error {
	if len(inst.Args) == 0 {
		return fmt.Errorf("%s requires at least one argument", inst.Keyword)
	}
	_, err := ParseKeyValuesEscape(inst.Args[0], inst.Keyword, escape)
	return err
}

func checkArg(inst *Instruction, escape rune) error {
	if len(inst.Args) == 0 {
		return errors.New("ARG requires at least one argument")
	}
	_, err := ParseArgsEscape(inst.Args[0], escape)
	return err
}

func checkAtLeastOne(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 {
		return fmt.Errorf("%s requires at least one argument", inst.Keyword)
	}
	return nil
}

func checkExactlyOne(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 {
		return fmt.Errorf("%s requires exactly one argument", inst.Keyword)
	}
	return nil
}

// checkHealthcheck splits "NONE" or "CMD <command>" into Args and checks the
// flags that Docker checks at parse time.
func checkHealthcheck(inst *Instruction, _ rune) error {
	if len(inst.Args) == 0 {
		return errors.New("HEALTHCHECK requires at least one argument")
	}
	typ, rest := cutSpace(inst.Args[0])
	switch strings.ToUpper(typ) {
	case "NONE":
		if rest != "" {
			return errors.New("HEALTHCHECK NONE takes no arguments")
		}
		inst.Args = []string{"NONE"}
		return nil
	case "CMD":
		if rest == "" {
			return errors.New("missing command after HEALTHCHECK CMD")
		}
	default:
		return fmt.Errorf("unknown type %q in HEALTHCHECK (try CMD)", typ)
	}
	cmd := Instruction{}
	if err := setArgs(&cmd, rest, argsMaybeJSON); err != nil {
		return err
	}
	inst.Args, inst.JSON = append([]string{"CMD"}, cmd.Args...), cmd.JSON
	return checkHealthFlags(inst.Flags)
}

func checkHealthFlags(flags []Flag) error {
	for _, f := range flags {
		if strings.Contains(f.Value, "$") {
			continue
		}
		if f.Name == "retries" {
			n, err := strconv.Atoi(f.Value)
			if err != nil || n < 0 {
				return fmt.Errorf("--retries: invalid value %q", f.Value)
			}
			continue
		}
		if d, err := time.ParseDuration(f.Value); err != nil || d < 0 {
			return fmt.Errorf("--%s: invalid duration %q", f.Name, f.Value)
		}
	}
	return nil
}

// checkOnbuild checks the trigger; it stays raw in Args[0] and is parsed
// again when the image is used as a base (ParseInstructionLine).
func checkOnbuild(inst *Instruction, escape rune) error {
	if len(inst.Args) == 0 {
		return errors.New("ONBUILD requires at least one argument")
	}
	trigger, err := parseInstruction(inst.Args[0], escape)
	if err != nil {
		return err
	}
	switch trigger.Keyword {
	case "ONBUILD":
		return errors.New("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
	case "FROM", "MAINTAINER":
		return fmt.Errorf("%s isn't allowed as an ONBUILD trigger", trigger.Keyword)
	}
	return nil
}
