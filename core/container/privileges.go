package container

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"

	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// knownCaps are every capability name this build knows, "CAP_CHOWN" …
func knownCaps() []string {
	var out []string
	for _, c := range capability.ListKnown() {
		out = append(out, "CAP_"+strings.ToUpper(c.String()))
	}
	return out
}

// NormalizeCaps upper-cases capability names and adds the CAP_ prefix
// ("net_admin" -> "CAP_NET_ADMIN"), keeping "ALL"; an unknown name is an
// error.
func NormalizeCaps(names []string) ([]string, error) {
	known := map[string]bool{}
	for _, c := range knownCaps() {
		known[c] = true
	}
	var out []string
	for _, n := range names {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n != "ALL" && !strings.HasPrefix(n, "CAP_") {
			n = "CAP_" + n
		}
		if n != "ALL" && !known[n] {
			return nil, fmt.Errorf("unknown capability: %q", n)
		}
		out = append(out, n)
	}
	return out, nil
}

// Capabilities applies --cap-add and --cap-drop to the default set as
// Docker does: adding ALL gives every capability but the dropped ones,
// dropping ALL keeps only the added ones, otherwise drops then adds.
func Capabilities(defaults, add, drop []string) ([]string, error) {
	add, err := NormalizeCaps(add)
	if err != nil {
		return nil, err
	}
	drop, err = NormalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case contains(add, "ALL"):
		caps = without(knownCaps(), drop)
	case contains(drop, "ALL"):
		caps = add
	default:
		caps = append(without(defaults, drop), add...)
	}
	return dedupe(caps), nil
}

// Security is what --security-opt asks for.
type Security struct {
	NoNewPrivileges bool
	Seccomp         bool
	// SeccompProfile is a profile's JSON (seccomp=FILE, inlined at create).
	SeccompProfile []byte
	// Mask and Unmask add paths to and take paths (or ALL) from the
	// masked and read-only lists (mask=/a:/b, unmask=ALL|/a:/b).
	Mask, Unmask []string
}

// ParseSecurityOpts reads --security-opt values: no-new-privileges[=bool],
// seccomp=unconfined, seccomp=<profile JSON>, mask=PATHS and unmask=PATHS. Others (profiles, AppArmor, SELinux labels) are
// errors rather than silently ignored, since they ask for confinement
// hull cannot give.
func ParseSecurityOpts(opts []string) (Security, error) {
	s := Security{Seccomp: true}
	for _, o := range opts {
		k, v, hasValue := strings.Cut(o, "=")
		if !hasValue {
			k, v, hasValue = strings.Cut(o, ":")
		}
		switch {
		case k == "no-new-privileges" && !hasValue:
			s.NoNewPrivileges = true
		case k == "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, fmt.Errorf("invalid --security-opt: %q", o)
			}
			s.NoNewPrivileges = b
		case k == "seccomp" && v == "unconfined":
			s.Seccomp = false
		case k == "seccomp" && strings.HasPrefix(strings.TrimSpace(v), "{"):
			s.SeccompProfile = []byte(v)
		case k == "seccomp" && hasValue:
			return s, fmt.Errorf("seccomp profile %q: give a JSON file", v)
		case (k == "mask" || k == "unmask") && v != "":
			paths := strings.Split(v, ":")
			for _, p := range paths {
				if p != "ALL" && !strings.HasPrefix(p, "/") || p == "ALL" && k == "mask" {
					return s, fmt.Errorf("invalid --security-opt %s: %q is not an absolute path", k, p)
				}
			}
			if k == "mask" {
				s.Mask = append(s.Mask, paths...)
			} else {
				s.Unmask = append(s.Unmask, paths...)
			}
		default:
			return s, fmt.Errorf("invalid --security-opt: %q", o)
		}
	}
	return s, nil
}

// MaskedPaths applies mask= and unmask= to the default lists: unmask
// takes a path off both (ALL: every path), as Podman does.
func (s Security) MaskedPaths(masked, readonly []string) ([]string, []string) {
	if contains(s.Unmask, "ALL") {
		return append([]string(nil), s.Mask...), nil
	}
	return append(without(masked, s.Unmask), s.Mask...), without(readonly, s.Unmask)
}

// Network modes with a meaning of their own here; any other mode is a
// network plugin (see plugins/network), NetworkBridge the default.
const (
	NetworkNone   = netspec.None
	NetworkHost   = netspec.Host
	NetworkBridge = netspec.Bridge
)

// ParseNetwork checks --network and returns it normalised; empty means
// the default user-mode network, "bridge".
func ParseNetwork(mode string) (string, error) {
	m, err := netspec.ParseMode(mode)
	if err != nil {
		return "", err
	}
	return m.String(), nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func without(list, drop []string) []string {
	var out []string
	for _, e := range list {
		if !contains(drop, e) {
			out = append(out, e)
		}
	}
	return out
}

func dedupe(list []string) []string {
	out := []string{}
	for _, e := range list {
		if !contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}
