package plugins

import (
	"fmt"
	"time"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Check is one step of a plugin's conformance check.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Report is what Inspect learned about a plugin executable. Its fields
// are the names of `hull plugin inspect --format` templates.
type Report struct {
	Path   string
	SHA256 string
	// Kind is "instruction" when the plugin serves the Handler service.
	Kind string
	// Handshake is the line the plugin printed on stdout.
	Handshake string
	Info      sdk.Info
	Checks    []Check
	OK        bool
}

func (r *Report) add(name string, err error, detail string) bool {
	c := Check{Name: name, OK: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
	}
	r.Checks = append(r.Checks, c)
	return c.OK
}

// InspectOptions tune Inspect; zero values are the defaults.
type InspectOptions struct {
	StartTimeout time.Duration // handshake (DefaultStartTimeout)
	CallTimeout  time.Duration // each call (DefaultCallTimeout)
}

// ValidInfo is what an Info must be: a name, a version, and at least one
// keyword, each one upper-case word, none twice.
func ValidInfo(i sdk.Info) error {
	if err := checkInfo(i); err != nil {
		return err
	}
	if i.Version == "" {
		return fmt.Errorf("%w: no version (it is part of every cache key)", ErrInvalidInfo)
	}
	if len(i.Keywords) == 0 {
		return fmt.Errorf("%w: no keyword", ErrInvalidInfo)
	}
	seen := map[string]bool{}
	for _, k := range i.Keywords {
		if seen[k] {
			return fmt.Errorf("%w: keyword %s twice", ErrInvalidInfo, k)
		}
		seen[k] = true
	}
	return nil
}
