package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli's Flag.Names runs a regexp on every call (FlagNames strips a
// v1-style "name, alias" suffix), and every command start calls it
// O(flags²) times: runFlagActions asks IsSet of each flag's names, and IsSet
// of a flag that was not given walks the command's flags, asking each for
// its Names. On run's ~230 flags that was a tenth of a start's CPU
// (docs/speed.md). The wrappers below answer Names from a list computed once
// per start; every other method is the embedded flag's own.
//
// Flags that urfave/cli inspects by their concrete type are left as they are,
// so that help and completion do not change: a hidden BoolFlag or one with
// DisableDefaultText (help.go, flag.go), and string flags that take a file
// (fish completion).

type boolNames struct {
	*cli.BoolFlag
	names []string
}

func (f *boolNames) Names() []string { return f.names }

type stringNames struct {
	*cli.StringFlag
	names []string
}

func (f *stringNames) Names() []string { return f.names }

type sliceNames struct {
	*cli.StringSliceFlag
	names []string
}

func (f *sliceNames) Names() []string { return f.names }

type intNames struct {
	*cli.IntFlag
	names []string
}

func (f *intNames) Names() []string { return f.names }

type int64Names struct {
	*cli.Int64Flag
	names []string
}

func (f *int64Names) Names() []string { return f.names }

type durationNames struct {
	*cli.DurationFlag
	names []string
}

func (f *durationNames) Names() []string { return f.names }

// cacheFlagNames wraps each flag of flags whose names can be computed once.
func cacheFlagNames(flags []cli.Flag) {
	for i, f := range flags {
		flags[i] = cacheNames(f)
	}
}

func cacheNames(f cli.Flag) cli.Flag {
	switch t := f.(type) {
	case *cli.BoolFlag:
		if !t.Hidden && !t.DisableDefaultText {
			return &boolNames{t, flagNameList(f, t.Name, t.Aliases)}
		}
	case *cli.StringFlag:
		if !t.TakesFile {
			return &stringNames{t, flagNameList(f, t.Name, t.Aliases)}
		}
	case *cli.StringSliceFlag:
		if !t.TakesFile {
			return &sliceNames{t, flagNameList(f, t.Name, t.Aliases)}
		}
	case *cli.IntFlag:
		return &intNames{t, flagNameList(f, t.Name, t.Aliases)}
	case *cli.Int64Flag:
		return &int64Names{t, flagNameList(f, t.Name, t.Aliases)}
	case *cli.DurationFlag:
		return &durationNames{t, flagNameList(f, t.Name, t.Aliases)}
	}
	return f
}

// flagNameList is what f.Names() answers, without its regexp when no name
// has the ", " that it strips; capped so that an append by a caller copies.
func flagNameList(f cli.Flag, name string, aliases []string) []string {
	n := append([]string{name}, aliases...)
	for _, s := range n {
		if strings.ContainsAny(s, ", ") {
			n = f.Names()
			break
		}
	}
	return n[:len(n):len(n)]
}
