package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
)

// psFilter is ps's selection: -a, -n/-l and --filter KEY=VALUE (values of
// one key are alternatives, keys must all match, as in Docker).
type psFilter struct {
	all     bool
	last    int
	filters map[string][]string
}

var psFilterKeys = map[string]bool{"status": true, "name": true, "ancestor": true, "id": true, "exited": true, "label": true, "pod": true}

func init() {
	for _, k := range psMoreKeys { // psfilter_more.go
		psFilterKeys[k] = true
	}
}

func psSelection(c *cli.Context) (psFilter, error) {
	f := psFilter{all: c.Bool("all"), last: c.Int("last"), filters: map[string][]string{}}
	if c.Bool("latest") {
		f.last = 1
	}
	for _, kv := range c.StringSlice("filter") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !psFilterKeys[k] {
			return f, fmt.Errorf("invalid filter '%s'", kv)
		}
		f.filters[k] = append(f.filters[k], v)
	}
	if len(f.filters["status"]) > 0 || len(f.filters["exited"]) > 0 || f.last > 0 {
		f.all = true
	}
	return f, nil
}

// resolvePods turns pod= values (Podman's filter: a pod's name or id
// prefix) into pod ids; a value no pod has matches no container.
func (f psFilter) resolvePods(h *core.Hull) error {
	vals := f.filters["pod"]
	if len(vals) == 0 {
		return nil
	}
	pods, err := h.Pods()
	if err != nil {
		return err
	}
	for i, v := range vals {
		id := ""
		for _, p := range pods {
			if p.Name == v || p.ID == v {
				id = p.ID
				break
			}
			if len(v) >= 3 && strings.HasPrefix(p.ID, v) {
				id = p.ID
			}
		}
		vals[i] = id
	}
	return nil
}

// apply keeps the selected containers of all (newest first).
func (f psFilter) apply(all []*container.Container) []*container.Container {
	if f.last > 0 && len(all) > f.last {
		all = all[:f.last]
	}
	var out []*container.Container
	for _, c := range all {
		if (f.all || c.State.Running || c.State.Restarting) && f.match(c) {
			out = append(out, c)
		}
	}
	return out
}

func (f psFilter) match(c *container.Container) bool {
	for k, vals := range f.filters {
		if k == "label" {
			// Docker ANDs label filters: every one must match.
			for _, v := range vals {
				if !container.MatchLabel(c.Config.Labels, v) {
					return false
				}
			}
			continue
		}
		ok := false
		for _, v := range vals {
			ok = ok || matchKey(c, k, v)
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchKey(c *container.Container, k, v string) bool {
	switch k {
	case "status":
		return c.State.Status == v
	case "name":
		return strings.Contains(c.Name, strings.TrimPrefix(v, "/"))
	case "id":
		return strings.HasPrefix(c.ID, v)
	case "exited":
		n, err := strconv.Atoi(v)
		return err == nil && c.State.Status == container.StatusExited && c.State.ExitCode == n
	case "pod": // resolved to a pod id by resolvePods
		return v != "" && c.HostConfig.Pod == v
	case "ancestor":
		return c.Image == v || strings.HasPrefix(strings.TrimPrefix(c.ImageID, "sha256:"), strings.TrimPrefix(v, "sha256:")) ||
			image.FamiliarString(c.Image) == image.FamiliarString(v)
	}
	return matchMoreKey(c, k, v)
}
