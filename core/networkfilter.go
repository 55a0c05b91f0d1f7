package core

import (
	"fmt"
	"strings"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
)

// NetworksFiltered lists the named networks that pass network ls's
// --filter values: label=KEY[=VALUE] and label!=… (each must hold, as in
// Docker), name=SUBSTRING, id=PREFIX and driver=NAME (values of one of
// these keys are alternatives).
func (h *Hull) NetworksFiltered(filters []string) ([]netspec.NetworkConfig, error) {
	var labels, notLabels []string
	alts := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("invalid filter '%s'", f)
		case k == "label":
			labels = append(labels, v)
		case k == "label!":
			notLabels = append(notLabels, v)
		case k == "name" || k == "id" || k == "driver":
			alts[k] = append(alts[k], v)
		default:
			return nil, fmt.Errorf("invalid filter '%s'", f)
		}
	}
	all, err := h.networks()
	if err != nil {
		return nil, err
	}
	var out []netspec.NetworkConfig
	for _, n := range all {
		if networkMatches(n, labels, notLabels, alts) {
			out = append(out, n)
		}
	}
	return out, nil
}

func networkMatches(n netspec.NetworkConfig, labels, notLabels []string, alts map[string][]string) bool {
	for _, l := range labels {
		if !container.MatchLabel(n.Labels, l) {
			return false
		}
	}
	for _, l := range notLabels {
		if container.MatchLabel(n.Labels, l) {
			return false
		}
	}
	for k, vals := range alts {
		ok := false
		for _, v := range vals {
			switch k {
			case "name":
				ok = ok || strings.Contains(n.Name, v)
			case "id":
				ok = ok || strings.HasPrefix(n.ID, v)
			case "driver":
				d := n.Driver
				if d == "" {
					d = "hull"
				}
				ok = ok || d == v || (v == netspec.Bridge && d == "hull")
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
