package cli

import "github.com/urfave/cli/v2"

// repeatable is a string-slice flag with a short alias whose uses may be
// mixed (-e A --env B), collected in command-line order. urfave/cli refuses
// a flag given under two of its names; reporting a single name keeps that
// check away while Apply still registers every name on one shared value.
type repeatable struct{ *cli.StringSliceFlag }

func (r repeatable) Names() []string { return []string{r.Name} }

// sliceFlag is a repeatable flag that keeps values verbatim (no comma
// splitting, no trimming), as Docker does.
func sliceFlag(name, short, usage string) cli.Flag {
	f := &cli.StringSliceFlag{Name: name, Usage: usage, KeepSpace: true}
	if short == "" {
		return f
	}
	f.Aliases = []string{short}
	return repeatable{f}
}
