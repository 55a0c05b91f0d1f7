package builders

import (
	"maps"
	"slices"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// cloneConfig copies c deeply, as an image config holds it: exposed
// ports and volumes sorted and each once (they are sets there).
func cloneConfig(c sdk.Config) sdk.Config {
	out := c
	out.Env, out.Entrypoint, out.Cmd = slices.Clone(c.Env), slices.Clone(c.Entrypoint), slices.Clone(c.Cmd)
	out.Labels = maps.Clone(c.Labels)
	out.ExposedPorts, out.Volumes = sortedSet(c.ExposedPorts), sortedSet(c.Volumes)
	out.Shell, out.OnBuild = slices.Clone(c.Shell), slices.Clone(c.OnBuild)
	if h := c.Healthcheck; h != nil {
		hc := *h
		hc.Test = slices.Clone(h.Test)
		out.Healthcheck = &hc
	}
	return out
}

// sortedSet returns list sorted and without duplicates; nil when empty.
func sortedSet(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// resultConfig is the config a step leaves: the one its handler returned,
// or, when that is empty (no field set, as in a plugin's Response without a
// Config), the config before the step. No instruction clears the whole
// config, so an empty one means "unchanged", not "wipe the image".
func resultConfig(before, got sdk.Config) sdk.Config {
	if configEmpty(got) {
		return before
	}
	return got
}

// configEmpty says whether no field of c is set; nil and empty are the same
// (the wire does not keep the difference).
func configEmpty(c sdk.Config) bool {
	return c.User == "" && len(c.Env) == 0 && len(c.Entrypoint) == 0 && len(c.Cmd) == 0 &&
		c.WorkingDir == "" && len(c.Labels) == 0 && len(c.ExposedPorts) == 0 && len(c.Volumes) == 0 &&
		c.StopSignal == "" && len(c.Shell) == 0 && len(c.OnBuild) == 0 && c.Healthcheck == nil &&
		!c.ArgsEscaped
}
