package plugins

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Entry is the plugin that handles one keyword.
type Entry struct {
	Keyword string
	Builtin string // the built-in plugin's name, or ""
	Path    string // the external plugin's executable, or ""
	SHA256  string // external: the checksum seen at discovery, pinned at launch
	Info    sdk.Info
	// Overrides: an external plugin that replaces a built-in instruction.
	Overrides bool
	// Pin is PINNED, MISMATCH or unpinned (externals; "" for built-ins).
	Pin string
	// Refused is why the plugin must not run (its pin does not match):
	// using the keyword fails with it.
	Refused error
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

// Unclaimable are the keywords the engine handles itself: a plugin's
// claim on them is ignored.
var Unclaimable = map[string]bool{"FROM": true, "ARG": true}

// Registry maps keywords to plugins. External plugins override built-ins;
// between externals the first in search order wins.
type Registry struct {
	entries  map[string]Entry
	Warnings []string // keyword conflicts between external plugins
	// Ignored are the claims dropped because the engine handles the
	// keyword itself (FROM, ARG), for `hull plugin ls`.
	Ignored []string
}

// NewRegistry builds the map from the built-in handlers (by plugin name)
// and what Discover found; found entries with Err are skipped, those with
// a PinErr are entered as refused.
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
			if Unclaimable[k] {
				r.Ignored = append(r.Ignored, fmt.Sprintf(
					"plugin %s claims %s, which the engine handles itself; the claim is ignored", f.Path, k))
				continue
			}
			if first, ok := claimed[k]; ok {
				r.Warnings = append(r.Warnings, fmt.Sprintf(
					"plugin %s also handles %s; using %s, which comes first in the plugin path", f.Path, k, first))
				continue
			}
			claimed[k] = f.Path
			prev, builtin := r.entries[k]
			r.entries[k] = Entry{Keyword: k, Path: f.Path, SHA256: f.SHA256, Info: f.Info,
				Overrides: builtin && prev.Builtin != "", Pin: f.PinState(), Refused: f.PinErr}
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

// Pin is the sha256 (hex) a plugin must have, and where it was set: the
// pin file's path, or --plugin-checksum.
type Pin struct {
	SHA256 string
	Source string
}

// FlagPinSource is the Source of pins given on the command line.
const FlagPinSource = "--plugin-checksum"

// Pins are the pins of external plugins, by plugin name (Info.Name) or by
// executable path.
type Pins map[string]Pin

// ParsePin parses a NAME=SHA256 pin, as given to --plugin-checksum.
func ParsePin(s string) (name, sum string, err error) {
	name, sum, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	sum = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(sum), "sha256:"))
	if !ok || name == "" || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", "", fmt.Errorf("plugin checksum %q: want NAME=SHA256 (64 hex digits)", s)
	}
	return name, sum, nil
}

// LoadPins reads a pin file: one NAME=SHA256 per line, # comments. A
// missing file is no pins.
func LoadPins(file string) (Pins, error) {
	pins := Pins{}
	if file == "" {
		return pins, nil
	}
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return pins, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read plugin pins: %w", err)
	}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, sum, err := ParsePin(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n+1, err)
		}
		pins[name] = Pin{SHA256: sum, Source: file}
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

// Lookup returns the pin of the plugin at path named name: by path first,
// then by name.
func (p Pins) Lookup(path, name string) (Pin, string, bool) {
	if pin, ok := p[path]; ok {
		return pin, path, true
	}
	if pin, ok := p[name]; ok && name != "" {
		return pin, name, true
	}
	return Pin{}, "", false
}

// Apply sets each usable found plugin's Pin, and PinErr (ErrChecksum) when
// its file's sha256 is not the pinned one: a one-line error naming the
// plugin, where the pin comes from and both digests.
func (p Pins) Apply(found []Found) {
	for i, f := range found {
		if f.Err != nil || f.PinErr != nil {
			continue
		}
		pin, key, ok := p.Lookup(f.Path, f.Info.Name)
		if !ok {
			continue
		}
		found[i].Pin = &pin
		if pin.SHA256 != f.SHA256 {
			found[i].PinErr = pinError(f, pin, key)
		}
	}
}

func pinError(f Found, pin Pin, key string) error {
	return &Error{Plugin: f.Path, Op: "pin", Err: fmt.Errorf(
		"%w: refused: %s pins %s to sha256 %s, the file has sha256 %s", ErrChecksum, pin.Source, key, pin.SHA256, f.SHA256)}
}

// Unmatched returns the names of pins from source that match no plugin
// found (by path or name), sorted.
func (p Pins) Unmatched(source string, found []Found) []string {
	var out []string
	for name, pin := range p {
		if pin.Source != source {
			continue
		}
		match := false
		for _, f := range found {
			match = match || f.Path == name || (f.Err == nil && f.Info.Name == name)
		}
		if !match {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// VerifyPin hashes the file at path and refuses it, as Apply does, unless
// it has the sha256 pin (found under key) gives it.
func VerifyPin(path string, pin Pin, key string) error {
	sum, err := FileSHA256(path)
	if err != nil {
		return &Error{Plugin: path, Op: "pin", Err: err}
	}
	if sum != pin.SHA256 {
		return pinError(Found{Path: path, SHA256: sum}, pin, key)
	}
	return nil
}
