package dockerfile

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// mountKeys lists, per mount type, the options it accepts (canonical names).
var mountKeys = map[string]map[string]bool{
	"bind":   set("target", "source", "from", "readonly"),
	"cache":  set("target", "source", "from", "readonly", "id", "sharing", "mode", "uid", "gid"),
	"tmpfs":  set("target", "size"),
	"secret": set("target", "id", "required", "mode", "uid", "gid", "env"),
	"ssh":    set("target", "id", "required", "mode", "uid", "gid"),
}

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// mountAliases maps accepted spellings to canonical option names.
var mountAliases = map[string]string{
	"type": "type", "target": "target", "dst": "target", "destination": "target",
	"source": "source", "src": "source", "from": "from", "id": "id", "sharing": "sharing",
	"mode": "mode", "uid": "uid", "gid": "gid", "size": "size", "env": "env",
	"readonly": "readonly", "ro": "readonly", "readwrite": "readwrite", "rw": "readwrite",
	"required": "required",
}

// ParseMount parses the value of RUN --mount (CSV fields key=value, or bare
// boolean keys) into canonical keys: type (default "bind"), target (also dst,
// destination), source (also src), from, id, sharing, mode, uid, gid, size,
// env, required and readonly (ro/readonly and rw/readwrite; "true" or
// "false", defaulting to "true" for bind and "false" for cache and tmpfs).
// Values containing '$' are not validated: the engine expands each value and
// may call ParseMount again.
func ParseMount(value string) (map[string]string, error) {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", value, err)
	}
	m := map[string]string{"type": "bind"}
	for _, field := range fields {
		if err := mountField(m, field, value); err != nil {
			return nil, err
		}
	}
	if err := checkMount(m); err != nil {
		return nil, err
	}
	return m, nil
}

// mountField stores one key[=value] field in m under its canonical name.
func mountField(m map[string]string, field, all string) error {
	key, val, hasVal := strings.Cut(field, "=")
	canon, ok := mountAliases[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return fmt.Errorf("unexpected key '%s' in '%s'", key, all)
	}
	switch canon {
	case "readonly", "readwrite", "required":
		b := true
		if hasVal {
			var err error
			if b, err = strconv.ParseBool(val); err != nil {
				return fmt.Errorf("invalid value for %s: %s", key, val)
			}
		}
		if canon == "readwrite" {
			canon, b = "readonly", !b
		}
		m[canon] = strconv.FormatBool(b)
	default:
		if !hasVal {
			return fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		m[canon] = val
	}
	return nil
}

// checkMount validates the options against the mount type and fills the
// readonly default.
func checkMount(m map[string]string) error {
	typ := strings.ToLower(m["type"])
	if strings.Contains(typ, "$") {
		return nil
	}
	allowed, ok := mountKeys[typ]
	if !ok {
		return fmt.Errorf("unsupported mount type %q", m["type"])
	}
	m["type"] = typ
	for k := range m {
		if k != "type" && !allowed[k] {
			return fmt.Errorf("option %s is not allowed for mount type %s", k, typ)
		}
	}
	if _, ok := m["readonly"]; !ok && typ != "secret" && typ != "ssh" {
		m["readonly"] = strconv.FormatBool(typ == "bind")
	}
	if m["target"] == "" && typ != "secret" && typ != "ssh" {
		return fmt.Errorf("mount type %s requires a target", typ)
	}
	return checkMountValues(m)
}

func checkMountValues(m map[string]string) error {
	if v, ok := m["sharing"]; ok && !strings.Contains(v, "$") {
		if v != "shared" && v != "private" && v != "locked" {
			return fmt.Errorf("unsupported sharing value %q", v)
		}
	}
	if v, ok := m["mode"]; ok && !strings.Contains(v, "$") {
		if _, err := strconv.ParseUint(v, 8, 32); err != nil {
			return fmt.Errorf("invalid value %q for mode: must be octal", v)
		}
	}
	for _, k := range []string{"uid", "gid"} {
		if v, ok := m[k]; ok && !strings.Contains(v, "$") {
			if _, err := strconv.ParseUint(v, 10, 32); err != nil {
				return fmt.Errorf("invalid value %q for %s", v, k)
			}
		}
	}
	return nil
}
