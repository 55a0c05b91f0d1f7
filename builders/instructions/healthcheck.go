package instructions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// execHealthcheck sets or disables (NONE) the healthcheck. Its flags are
// not expanded: Docker reads them at parse time.
func execHealthcheck(_ context.Context, req sdk.Request, _ sdk.Host) (sdk.Response, error) {
	test, err := healthTest(req.Instruction)
	if err != nil {
		return sdk.Response{}, err
	}
	h := &sdk.Healthcheck{Test: test}
	if test[0] != "NONE" {
		if err := healthFlags(req.Instruction, h); err != nil {
			return sdk.Response{}, err
		}
	} else if len(req.Instruction.Flags) > 0 {
		return sdk.Response{}, errors.New("HEALTHCHECK NONE takes no flags")
	}
	c := cloneConfig(req.Config)
	c.Healthcheck = h
	return configOnly(c, fmt.Sprintf("HEALTHCHECK %+v", *h))
}

// healthTest builds Docker's Test: ["NONE"], ["CMD-SHELL", cmd] or
// ["CMD", args...]. The parser gives Args ["NONE"] or ["CMD", command...];
// a single raw "CMD command" string is accepted too.
func healthTest(in sdk.Instruction) ([]string, error) {
	if len(in.Args) == 0 {
		return nil, errors.New("HEALTHCHECK requires at least one argument")
	}
	typ, rest := in.Args[0], in.Args[1:]
	isJSON := in.JSON
	if len(in.Args) == 1 {
		var raw string
		typ, raw, _ = strings.Cut(strings.TrimSpace(in.Args[0]), " ")
		rest, isJSON = splitHealthCommand(strings.TrimSpace(raw))
	}
	switch strings.ToUpper(typ) {
	case "NONE":
		if len(rest) > 0 {
			return nil, errors.New("HEALTHCHECK NONE takes no arguments")
		}
		return []string{"NONE"}, nil
	case "CMD":
		if len(rest) == 0 || !isJSON && strings.TrimSpace(rest[0]) == "" {
			return nil, errors.New("missing command after HEALTHCHECK CMD")
		}
		if isJSON {
			return append([]string{"CMD"}, rest...), nil
		}
		return []string{"CMD-SHELL", strings.Join(rest, " ")}, nil
	}
	return nil, fmt.Errorf("unknown type %q in HEALTHCHECK (try CMD)", typ)
}

// splitHealthCommand reads the command after CMD in a raw string: a JSON
// array of strings, else shell form.
func splitHealthCommand(raw string) ([]string, bool) {
	var elems []string
	if strings.HasPrefix(raw, "[") && json.Unmarshal([]byte(raw), &elems) == nil {
		return elems, true
	}
	if raw == "" {
		return nil, false
	}
	return []string{raw}, false
}

func healthFlags(in sdk.Instruction, h *sdk.Healthcheck) error {
	f, err := parseFlags(in, "interval", "timeout", "start-period", "start-interval", "retries")
	if err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"interval", &h.Interval}, {"timeout", &h.Timeout}, {"start-period", &h.StartPeriod}, {"start-interval", &h.StartInterval}} {
		if *d.dst, err = healthDuration(f, d.name); err != nil {
			return err
		}
	}
	if v, ok := f.get("retries"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("--retries: invalid value %q: must be a non-negative integer", v)
		}
		h.Retries = int(n)
	}
	return nil
}

// healthDuration parses a duration flag; 0 means the default, and anything
// else must be at least 1ms, as in Docker.
func healthDuration(f flags, name string) (time.Duration, error) {
	v, ok := f.get(name)
	if !ok || v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("--%s: invalid duration %q", name, v)
	}
	if d != 0 && d < time.Millisecond {
		return 0, fmt.Errorf("--%s: %s cannot be less than 1ms", name, v)
	}
	return d, nil
}
