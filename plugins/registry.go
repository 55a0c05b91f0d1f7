package plugins

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hull-project/hull/plugins/sdk"
)

// Entry is the plugin that handles one keyword.
type Entry struct {
	Keyword string
	Builtin string // the built-in plugin's name, or ""
	Path    string // the external plugin's executable, or ""
	SHA256  string // external: the checksum seen at discovery, pinned at launch
	Info    sdk.Info
}

// Options returns launch options for the entry from a template: built-ins
// re-execute hull, externals run pinned to the file Discover hashed, so a
// plugin swapped after discovery is refused.
func (e Entry) Options(base Options) Options {
	if e.Builtin != "" {
		base.Cmd, base.Path, base.Name = BuiltinCommand(e.Builtin), "", "builtin "+e.Builtin
		return base
	}
	base.Cmd, base.Path, base.Name, base.SHA256 = nil, e.Path, "", e.SHA256
	return base
}

// Registry maps keywords to plugins. External plugins override built-ins;
// between externals the first in search order wins.
type Registry struct {
	entries  map[string]Entry
	Warnings []string // keyword conflicts between external plugins
}

// NewRegistry builds the map from the built-in handlers (by plugin name)
// and what Discover found; found entries with Err are skipped.
func NewRegistry(builtins map[string]sdk.Handler, found []Found) *Registry {
	r := &Registry{entries: map[string]Entry{}}
	for name, h := range builtins {
		info := h.Info()
		for _, k := range info.Keywords {
			r.entries[k] = Entry{Keyword: k, Builtin: name, Info: info}
		}
	}
	claimed := map[string]string{} // keyword -> external path
	for _, f := range found {
		if f.Err != nil {
			continue
		}
		for _, k := range f.Info.Keywords {
			if first, ok := claimed[k]; ok {
				r.Warnings = append(r.Warnings, fmt.Sprintf(
					"plugin %s also handles %s; using %s, which comes first in the plugin path", f.Path, k, first))
				continue
			}
			claimed[k] = f.Path
			r.entries[k] = Entry{Keyword: k, Path: f.Path, SHA256: f.SHA256, Info: f.Info}
		}
	}
	return r
}

// Lookup returns the plugin handling keyword (case-insensitive).
func (r *Registry) Lookup(keyword string) (Entry, bool) {
	e, ok := r.entries[strings.ToUpper(keyword)]
	return e, ok
}

// Entries lists every keyword's plugin, sorted by keyword.
func (r *Registry) Entries() []Entry {
	out := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Keyword < out[j].Keyword })
	return out
}

// Pins are the sha256 sums (hex) external plugins must have, by plugin
// name (Info.Name) or by executable path.
type Pins map[string]string

// ParsePin parses a NAME=SHA256 pin, as given to --plugin-checksum.
func ParsePin(s string) (name, sum string, err error) {
	name, sum, ok := strings.Cut(s, "=")
	sum = strings.ToLower(strings.TrimPrefix(sum, "sha256:"))
	if !ok || name == "" || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", "", fmt.Errorf("plugin checksum %q: want NAME=SHA256 (64 hex digits)", s)
	}
	return name, sum, nil
}

// LoadPins reads a pin file: one NAME=SHA256 per line, # comments. A
// missing file is no pins.
func LoadPins(file string) (Pins, error) {
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return Pins{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read plugin pins: %w", err)
	}
	pins := Pins{}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, sum, err := ParsePin(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n+1, err)
		}
		pins[name] = sum
	}
	return pins, nil
}

// DefaultPinFile is $XDG_CONFIG_HOME/hull/plugins.pin.
func DefaultPinFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hull", "plugins.pin")
}

// Apply marks found plugins whose checksum differs from their pin (by path
// first, then by name) with ErrChecksum, so NewRegistry skips them.
func (p Pins) Apply(found []Found) {
	for i, f := range found {
		if f.Err != nil {
			continue
		}
		want, ok := p[f.Path]
		if !ok {
			want, ok = p[f.Info.Name]
		}
		if ok && want != f.SHA256 {
			found[i].Err = &Error{Plugin: f.Path, Op: "discover",
				Err: fmt.Errorf("%w: pinned sha256 %s, file has %s", ErrChecksum, want, f.SHA256)}
		}
	}
}
