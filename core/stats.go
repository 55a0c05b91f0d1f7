package core

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hull-project/hull/core/cgroup"
	"github.com/hull-project/hull/core/container"
)

// ContainerStats is one reading of a container's counters for `hull
// stats`. Counters the container has no source for are -1: without a
// cgroup of its own, CPU, memory and block I/O are unknown (stats shows
// "--", as rootless Podman), while network I/O (its network namespace)
// and the process count (its pid namespace) are still read.
type ContainerStats struct {
	ID, Name  string
	Running   bool
	HasCgroup bool
	Usage     cgroup.Usage
	NetRx     int64
	NetTx     int64
	Read      time.Time
}

// StatsTargets are the containers stats shows: those named, else the
// running ones (all: every container).
func (h *Hull) StatsTargets(refs []string, all bool) ([]*container.Container, error) {
	if len(refs) > 0 {
		var out []*container.Container
		for _, r := range refs {
			c, err := h.Containers.Lookup(r)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	list, err := h.Containers.List()
	if err != nil {
		return nil, err
	}
	var out []*container.Container
	for _, c := range list {
		if all || c.State.Running {
			out = append(out, c)
		}
	}
	return out, nil
}

// Stats reads the counters of container id now.
func (h *Hull) Stats(id string) (ContainerStats, error) {
	c, err := h.Containers.Get(id)
	if err != nil {
		return ContainerStats{}, err
	}
	s := ContainerStats{ID: c.ID, Name: c.Name, Running: c.State.Running, NetRx: -1, NetTx: -1, Read: time.Now(),
		Usage: cgroup.Usage{CPUNanos: -1, Memory: -1, Pids: -1, BlockRead: -1, BlockWrite: -1}}
	if !c.State.Running || c.State.Pid <= 0 {
		return s, nil
	}
	s.Usage, s.HasCgroup = cgroup.UsageOf(cgroup.Probe(), c.State.Pid, "hull-"+c.ID)
	if s.Usage.Memory >= 0 && s.Usage.MemoryLimit == 0 {
		s.Usage.MemoryLimit = hostMemory() // Docker's limit of an unlimited container
	}
	if s.Usage.Pids < 0 {
		if ns, err := containerPidNS(c.State.Pid); err == nil && ns != "" {
			s.Usage.Pids = int64(len(containerProcs(ns, map[int]bool{})))
		}
	}
	s.NetRx, s.NetTx = netDev(c.State.Pid)
	return s, nil
}

// netDev sums the bytes received and sent on the interfaces of pid's
// network namespace but lo; -1 when unreadable.
func netDev(pid int) (rx, tx int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseInt(f[0], 10, 64)
		t, _ := strconv.ParseInt(f[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}

// hostMemory is the host's MemTotal in bytes; 0 when unknown.
func hostMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
