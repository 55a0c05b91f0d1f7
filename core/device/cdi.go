//go:build !appsbin

package device

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"tags.cncf.io/container-device-interface/pkg/cdi"
	"tags.cncf.io/container-device-interface/pkg/parser"
)

// CDILinked reports whether this hull reads CDI specs itself: every build
// but the default hull of `make build` (tag appsbin, cdi_lean.go).
const CDILinked = true

// CDI is the CDI devices of a set of spec directories, read with the CDI
// library.
type CDI struct {
	cache *cdi.Cache
	dirs  []string
}

var _ specs = (*CDI)(nil)

// OpenCDI reads the specs in dirs (nil: DefaultSpecDirs). A spec that
// does not parse is left out, as the CDI library does; Errors lists it.
func OpenCDI(dirs []string) (*CDI, error) {
	if dirs == nil {
		dirs = DefaultSpecDirs()
	}
	// No auto-refresh: it starts a file watcher, and one start reads the
	// specs once.
	cache, err := cdi.NewCache(cdi.WithSpecDirs(dirs...), cdi.WithAutoRefresh(false))
	if err != nil {
		return nil, fmt.Errorf("read CDI specs: %w", err)
	}
	return &CDI{cache: cache, dirs: dirs}, nil
}

// openSpecs is OpenCDI behind the specs interface.
func openSpecs(dirs []string) (specs, error) {
	c, err := OpenCDI(dirs)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Devices lists the fully qualified names of every device.
func (c *CDI) Devices() []string { return c.cache.ListDevices() }

// Errors lists the spec files that were left out, with why.
func (c *CDI) Errors() []string {
	var out []string
	for file, errs := range c.cache.GetErrors() {
		for _, err := range errs {
			out = append(out, fmt.Sprintf("%s: %v", file, err))
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether a device of class vendor/class exists.
func (c *CDI) Has(kind string) bool { return hasKind(c, kind) }

// apply adds the edits of one device (vendor.com/class=name, or =all for
// every device of the class) and of its spec to p.
func (c *CDI) apply(p *Plan, name string) error {
	vendor, class, dev, err := parser.ParseQualifiedName(name)
	if err != nil {
		return fmt.Errorf("CDI device %s: %w", name, err)
	}
	var devices []*cdi.Device
	if d := c.cache.GetDevice(name); d != nil {
		// A spec's own "all" device (nvidia-ctk writes one) wins.
		devices = append(devices, d)
	} else if dev == "all" {
		for _, q := range c.cache.ListDevices() {
			if strings.HasPrefix(q, vendor+"/"+class+"=") {
				devices = append(devices, c.cache.GetDevice(q))
			}
		}
	}
	if len(devices) == 0 {
		msg := fmt.Sprintf("CDI device %s: unknown (no spec in %s defines it", name, strings.Join(c.dirs, ", "))
		if errs := c.Errors(); len(errs) > 0 {
			msg += fmt.Sprintf("; %d spec errors, the first: %s", len(errs), errs[0])
		}
		return errors.New(msg + ")")
	}
	specs := map[*cdi.Spec]bool{}
	for _, d := range devices {
		q := d.GetQualifiedName()
		if s := d.GetSpec(); !specs[s] {
			specs[s] = true
			if err := applyEdits(p, q, s.Spec.ContainerEdits); err != nil {
				return err
			}
		}
		if err := applyEdits(p, q, d.Device.ContainerEdits); err != nil {
			return err
		}
	}
	return nil
}
