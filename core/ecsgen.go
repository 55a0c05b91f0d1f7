//go:build apps

package core

import (
	"fmt"

	"github.com/hull-project/hull/core/ecs"
)

// GenerateECS writes the ECS task definition of the pod, container or
// compose project ref names (one task; its family is the name). Images
// are checked as for GenerateKube.
func (h *Hull) GenerateECS(ref string, allowLocal bool) ([]byte, []string, error) {
	groups, err := h.AppGroups([]string{ref})
	if err != nil {
		return nil, nil, fmt.Errorf("generate ecs: %w", err)
	}
	g := groups[0]
	warnings, err := localImages(g, allowLocal)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ecs: %w", err)
	}
	var members []ecs.Member
	for _, m := range g.Members {
		members = append(members, ecs.Member{Name: m.Name, Container: m.Container, Image: m.Image,
			ImageConfig: m.ImageConfig, Ports: g.PortsOf(m.Container), StoreDir: h.Root})
	}
	if g.Kind == "pod" && len(members) > 0 {
		// A pod's ports are its own, published once: give them to its
		// first container only.
		for i := 1; i < len(members); i++ {
			members[i].Ports = nil
		}
	}
	if g.Kind == "project" && len(members) > 1 {
		warnings = append(warnings, "the services of one task share its network: they reach each other on localhost, not by service name")
	}
	out, w, err := ecs.Generate(g.Name, members)
	return out, append(warnings, w...), err
}
