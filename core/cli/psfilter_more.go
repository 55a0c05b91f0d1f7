package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/hull-project/hull/core/container"
)

// The ps filters of issue 17 beside psfilter.go's: before=, since=
// (a container's name or id: those created before or after it),
// publish= (a published container port, PORT[/PROTO] or a range),
// network= (a network's name, or the mode: bridge, host, none),
// volume= (a volume's name or a mount destination) and health=
// (starting, healthy, unhealthy, none).
var psMoreKeys = []string{"before", "since", "publish", "network", "volume", "health"}

// resolveRefs turns before= and since= values into the creation time of
// the container they name (RFC 3339); a name no container has is an
// error, as in Docker.
func (f psFilter) resolveRefs(all []*container.Container) error {
	for _, k := range []string{"before", "since"} {
		for i, v := range f.filters[k] {
			var found *container.Container
			for _, c := range all {
				if c.Name == strings.TrimPrefix(v, "/") || c.ID == v {
					found = c
					break
				}
				if found == nil && len(v) >= 3 && strings.HasPrefix(c.ID, v) {
					found = c
				}
			}
			if found == nil {
				return fmt.Errorf("no such container: %s", v)
			}
			f.filters[k][i] = found.Created.Format(time.RFC3339Nano)
		}
	}
	return nil
}

func matchMoreKey(c *container.Container, k, v string) bool {
	switch k {
	case "before", "since":
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return false
		}
		if k == "before" {
			return c.Created.Before(t)
		}
		return c.Created.After(t)
	case "publish":
		return matchPublish(c, v)
	case "network":
		if c.HostConfig.NetworkMode == v && len(c.NetworkSettings.Networks) == 0 {
			return true
		}
		for name, ep := range c.NetworkSettings.Networks {
			if name == v || (len(v) >= 3 && strings.HasPrefix(ep.Network.ID, v)) {
				return true
			}
		}
	case "volume":
		for _, m := range c.Mounts {
			if (m.Type == "volume" && m.Name == v) || m.Destination == v {
				return true
			}
		}
	case "health":
		h := c.State.Health
		if v == "none" {
			return c.HealthProbe() == nil
		}
		return c.State.Running && h != nil && h.Status == v
	}
	return false
}

// matchPublish: v is PORT[/PROTO] or START-END[/PROTO], the container's
// side, as Docker's publish= filter.
func matchPublish(c *container.Container, v string) bool {
	a, b, proto, err := container.PortRange(v)
	if err != nil {
		return false
	}
	for _, p := range c.HostConfig.PortBindings {
		if int(p.ContainerPort) >= a && int(p.ContainerPort) <= b && p.Protocol == proto {
			return true
		}
	}
	return false
}
