package remotecache

import (
	"fmt"
	"strings"
)

// Spec is one --cache-to or --cache-from value.
type Spec struct {
	Type string // "local" or "registry"
	Dir  string // local: the layout directory (dest= or src=)
	Ref  string // registry: the image reference
	// Mode is --cache-to's: "min" exports the final image's steps, "max"
	// every stage's.
	Mode string
	// IgnoreError (--cache-to ignore-error=true): a failed export is a
	// warning, not a failed build.
	IgnoreError bool
}

// String names the cache in messages.
func (s Spec) String() string {
	if s.Type == "local" {
		return "local:" + s.Dir
	}
	return s.Ref
}

// ParseTo parses --cache-to: type=local,dest=DIR or type=registry,ref=REF,
// each with mode=min|max (min when unset, as BuildKit).
func ParseTo(v string) (Spec, error) {
	return parse("--cache-to", v, "dest")
}

// ParseFrom parses --cache-from: type=local,src=DIR, type=registry,ref=REF
// or a plain REF (a registry cache, as docker buildx reads it).
func ParseFrom(v string) (Spec, error) {
	if !strings.Contains(v, "=") {
		if v == "" {
			return Spec{}, fmt.Errorf("invalid --cache-from %q: empty", v)
		}
		return Spec{Type: "registry", Ref: v}, nil
	}
	return parse("--cache-from", v, "src")
}

// parse reads the comma-separated key=value list of flag; dirKey is the
// local type's directory key (dest or src).
func parse(flag, v, dirKey string) (Spec, error) {
	var s Spec
	for _, f := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return s, fmt.Errorf("invalid %s %q: %q is not key=value", flag, v, f)
		}
		switch k {
		case "type":
			s.Type = val
		case dirKey:
			s.Dir = val
		case "ref":
			s.Ref = val
		case "mode":
			if flag != "--cache-to" {
				break // buildx accepts (and ignores) it on --cache-from
			}
			if val != "min" && val != "max" {
				return s, fmt.Errorf("invalid %s %q: mode is min or max", flag, v)
			}
			s.Mode = val
		case "ignore-error":
			if val != "true" && val != "false" {
				return s, fmt.Errorf("invalid %s %q: ignore-error is true or false", flag, v)
			}
			s.IgnoreError = val == "true"
		case "compression", "compression-level", "force-compression", "oci-mediatypes", "image-manifest":
			// BuildKit's exporter tuning: hull's cache layers are always
			// uncompressed tars in an OCI manifest.
		default:
			return s, fmt.Errorf("invalid %s %q: unknown key %q", flag, v, k)
		}
	}
	switch s.Type {
	case "local":
		if s.Dir == "" {
			return s, fmt.Errorf("invalid %s %q: type=local needs %s=DIR", flag, v, dirKey)
		}
	case "registry":
		if s.Ref == "" {
			return s, fmt.Errorf("invalid %s %q: type=registry needs ref=REF", flag, v)
		}
	case "":
		return s, fmt.Errorf("invalid %s %q: type= is missing (local or registry)", flag, v)
	default:
		return s, fmt.Errorf("invalid %s %q: type %q is not supported (local or registry)", flag, v, s.Type)
	}
	if flag == "--cache-to" && s.Mode == "" {
		s.Mode = "min"
	}
	return s, nil
}
