package builders

import (
	"maps"
	"slices"
	"sort"

	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/plugins/sdk"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fromImageConfig turns an image's config into the plugin protocol's.
func fromImageConfig(c ocispec.ImageConfig, ex image.Extras) sdk.Config {
	out := sdk.Config{
		User: c.User, Env: slices.Clone(c.Env), Entrypoint: slices.Clone(c.Entrypoint),
		Cmd: slices.Clone(c.Cmd), WorkingDir: c.WorkingDir, Labels: maps.Clone(c.Labels),
		StopSignal: c.StopSignal, ArgsEscaped: c.ArgsEscaped,
		Shell: slices.Clone(ex.Shell), OnBuild: slices.Clone(ex.OnBuild),
	}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	for v := range c.Volumes {
		out.Volumes = append(out.Volumes, v)
	}
	sort.Strings(out.Volumes)
	if h := ex.Healthcheck; h != nil {
		out.Healthcheck = &sdk.Healthcheck{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out
}

// toImageConfig turns the protocol's config back into the image's.
func toImageConfig(c sdk.Config) (ocispec.ImageConfig, image.Extras) {
	out := ocispec.ImageConfig{
		User: c.User, Env: slices.Clone(c.Env), Entrypoint: slices.Clone(c.Entrypoint),
		Cmd: slices.Clone(c.Cmd), WorkingDir: c.WorkingDir, Labels: maps.Clone(c.Labels),
		StopSignal: c.StopSignal, ArgsEscaped: c.ArgsEscaped,
	}
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for _, p := range c.ExposedPorts {
			out.ExposedPorts[p] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		out.Volumes = map[string]struct{}{}
		for _, v := range c.Volumes {
			out.Volumes[v] = struct{}{}
		}
	}
	ex := image.Extras{Shell: slices.Clone(c.Shell), OnBuild: slices.Clone(c.OnBuild)}
	if h := c.Healthcheck; h != nil {
		ex.Healthcheck = &image.Healthcheck{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	return out, ex
}

func cloneConfig(c sdk.Config) sdk.Config {
	img, ex := toImageConfig(c)
	return fromImageConfig(img, ex)
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
