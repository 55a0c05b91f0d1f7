package instructions

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/hull-project/hull/builders/dockerfile"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// runMounts parses every RUN --mount value.
func runMounts(req sdk.Request, values []string) ([]sdk.RunMount, error) {
	var mounts []sdk.RunMount
	for _, v := range values {
		m, err := runMount(req, v)
		if err != nil {
			return nil, fmt.Errorf("--mount=%s: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

// runMount parses one --mount: the fields are split first, then each
// value is expanded (BuildKit expands per field, so a variable cannot add
// fields), then the result is checked again with the real values.
func runMount(req sdk.Request, value string) (sdk.RunMount, error) {
	raw, err := dockerfile.ParseMount(value)
	if err != nil {
		return sdk.RunMount{}, err
	}
	for k, v := range raw {
		if raw[k], err = expand(req, v); err != nil {
			return sdk.RunMount{}, err
		}
	}
	if strings.EqualFold(raw["type"], "tmpfs") {
		// ParseMount fills readonly for tmpfs but refuses it when given.
		delete(raw, "readonly")
	}
	m, err := dockerfile.ParseMount(joinMount(raw))
	if err != nil {
		return sdk.RunMount{}, err
	}
	return toRunMount(req, m)
}

// joinMount writes parsed fields back as one CSV record, sorted by key.
func joinMount(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]string, 0, len(keys))
	for _, k := range keys {
		fields = append(fields, k+"="+m[k])
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // a bytes.Buffer does not fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// toRunMount maps checked fields to the contract, with BuildKit's
// defaults: a cache's id is its target, a secret's target is
// /run/secrets/<id> and its id the target's base name.
func toRunMount(req sdk.Request, m map[string]string) (sdk.RunMount, error) {
	rm := sdk.RunMount{
		Type: m["type"], Target: m["target"], Source: m["source"], From: m["from"],
		ID: m["id"], Sharing: m["sharing"], Mode: m["mode"], ReadOnly: m["readonly"] == "true",
		Required: m["required"] == "true", // the parser allows it on secret and ssh only
	}
	var err error
	if rm.UID, err = atoiField(m, "uid"); err != nil {
		return sdk.RunMount{}, err
	}
	if rm.GID, err = atoiField(m, "gid"); err != nil {
		return sdk.RunMount{}, err
	}
	if s := m["size"]; s != "" {
		if rm.Size, err = units.RAMInBytes(s); err != nil {
			return sdk.RunMount{}, fmt.Errorf("invalid size %q: %w", s, err)
		}
	}
	if err := mountDefaults(&rm, m); err != nil {
		return sdk.RunMount{}, err
	}
	if rm.Target != "" && !path.IsAbs(rm.Target) {
		rm.Target = path.Join("/", req.Config.WorkingDir, rm.Target)
	}
	return rm, nil
}

func mountDefaults(rm *sdk.RunMount, m map[string]string) error {
	switch rm.Type {
	case "cache":
		if rm.ID == "" {
			rm.ID = rm.Target
		}
		if rm.Sharing == "" {
			rm.Sharing = "shared"
		}
	case "secret":
		if m["env"] != "" {
			return fmt.Errorf("secret mounts into the environment (env=) are not supported")
		}
		if rm.ID == "" && rm.Target == "" {
			return fmt.Errorf("secret mount requires an id or a target")
		}
		if rm.Target == "" {
			rm.Target = "/run/secrets/" + rm.ID
		}
		if rm.ID == "" {
			rm.ID = path.Base(rm.Target)
		}
	case "ssh":
		// BuildKit's defaults. The engine mounts the agent `hull build
		// --ssh` gave, else nothing, or fails the step when required.
		if rm.ID == "" {
			rm.ID = "default"
		}
		if rm.Target == "" {
			rm.Target = "/run/buildkit/ssh_agent.0"
		}
	}
	return nil
}

func atoiField(m map[string]string, key string) (int, error) {
	v := m[key]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value %q for %s", v, key)
	}
	return n, nil
}
