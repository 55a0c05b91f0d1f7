package device

import (
	"errors"
	"fmt"
)

// Inventory is what `hull info` shows of a host's devices.
type Inventory struct {
	CDISpecDirs []string `json:"CDISpecDirs"`
	CDIDevices  []string `json:"CDIDevices"`
	// CDIErrors are spec files left out, with why.
	CDIErrors       []string `json:"CDIErrors,omitempty"`
	GPUNodes        []string `json:"GPUNodes"`
	DriverLibraries int      `json:"DriverLibraries"`
	DriverBinaries  int      `json:"DriverBinaries"`
}

// Discover lists the CDI devices of specDirs (nil: the defaults) and what
// hull's own GPU discovery finds.
func Discover(h Host, specDirs []string) Inventory {
	if specDirs == nil {
		specDirs = DefaultSpecDirs()
	}
	in := Inventory{CDISpecDirs: specDirs}
	if reg, err := openSpecs(specDirs); err == nil {
		in.CDIDevices, in.CDIErrors = reg.Devices(), reg.Errors()
	} else if errors.Is(err, ErrNeedsFullHull) {
		in.CDIErrors = []string{err.Error()}
	}
	g := DiscoverGPUs(h)
	in.GPUNodes = append(in.GPUNodes, g.Control...)
	for _, n := range g.Indexes {
		in.GPUNodes = append(in.GPUNodes, fmt.Sprintf("/dev/nvidia%d", n))
	}
	in.DriverLibraries, in.DriverBinaries = len(g.Libs), len(g.Binaries)
	return in
}
