package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Resources are the limits of one group; zero means "not limited".
type Resources struct {
	Memory     int64 // bytes
	MemorySwap int64 // memory plus swap, bytes; -1 unlimited swap
	NanoCPUs   int64 // CPUs × 1e9
	CPUShares  int64 // relative weight, v1 units (2-262144, default 1024)
	PidsLimit  int64 // processes
}

// Needs lists the controllers r needs, in Controllers order.
func (r Resources) Needs() []string {
	var out []string
	if r.Memory > 0 || r.MemorySwap > 0 {
		out = append(out, Memory)
	}
	if r.PidsLimit > 0 {
		out = append(out, Pids)
	}
	if r.NanoCPUs > 0 || r.CPUShares > 0 {
		out = append(out, CPU)
	}
	return out
}

// cpuPeriod is the CFS period, as Docker uses it (µs).
const cpuPeriod = 100000

// Group is one container's group, a directory under each Place used.
type Group struct {
	dirs map[string]Place // by controller
	made map[string]bool  // directories this group created
}

// Create makes group name under the Place of each controller in ctrls and
// writes r's limits there. On error nothing is left behind.
func Create(l Layout, name string, ctrls []string, r Resources) (*Group, error) {
	g := &Group{dirs: map[string]Place{}, made: map[string]bool{}}
	for _, c := range ctrls {
		p, ok := l.Places[c]
		if !ok {
			g.Remove()
			return nil, fmt.Errorf("cgroup controller %s: %s", c, l.Reasons[c])
		}
		dir := filepath.Join(p.Dir, name)
		if p.MoveSelf && !g.made[dir] {
			if err := moveSelf(p.Dir); err != nil {
				g.Remove()
				return nil, err
			}
		}
		if p.Version == 2 {
			if err := enable(p.Dir, c); err != nil {
				g.Remove()
				return nil, err
			}
		}
		if !g.made[dir] {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				g.Remove()
				return nil, fmt.Errorf("create cgroup: %w", err)
			}
			g.made[dir] = true
		}
		g.dirs[c] = Place{Dir: dir, Version: p.Version}
		if err := g.limit(c, r); err != nil {
			g.Remove()
			return nil, err
		}
	}
	return g, nil
}

// Open is group name as Create made it under l for ctrls, seen from
// another process than its creator (the hull that records a detached
// container's end): Stats, Kill and Remove work on it. Nothing is
// created; a controller without a Place or a directory is left out.
func Open(l Layout, name string, ctrls []string) *Group {
	g := &Group{dirs: map[string]Place{}, made: map[string]bool{}}
	for _, c := range ctrls {
		p, ok := l.Places[c]
		if !ok {
			continue
		}
		dir := filepath.Join(p.Dir, name)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		g.made[dir] = true
		g.dirs[c] = Place{Dir: dir, Version: p.Version}
	}
	return g
}

// moveSelf moves this process out of its own v2 cgroup dir into the
// leaf dir/LeafName, so that dir holds no processes and may enable
// controllers for its children.
func moveSelf(dir string) error {
	leaf := filepath.Join(dir, LeafName)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup %s: %w", leaf, err)
	}
	if err := write(leaf, "cgroup.procs", strconv.Itoa(os.Getpid())); err != nil {
		return fmt.Errorf("move hull into cgroup %s: %w", leaf, err)
	}
	return nil
}

// Settle moves this process into the leaf of its own v2 cgroup when l
// would put groups there (Place.MoveSelf), so that a process it starts
// next (the monitor of a detached container) starts in the leaf and finds
// the own cgroup free of processes, where it would otherwise find its
// parent in it and pass it over.
func Settle(l Layout) error {
	for _, c := range Controllers {
		if p, ok := l.Places[c]; ok && p.MoveSelf {
			return moveSelf(p.Dir)
		}
	}
	return nil
}

// enable turns controller c on for the children of a v2 directory.
func enable(parent, c string) error {
	f := filepath.Join(parent, "cgroup.subtree_control")
	data, err := os.ReadFile(f)
	if err == nil && strings.Contains(" "+strings.TrimSpace(string(data))+" ", " "+c+" ") {
		return nil
	}
	if err := os.WriteFile(f, []byte("+"+c), 0o644); err != nil {
		return fmt.Errorf("enable cgroup controller %s in %s: %w", c, parent, err)
	}
	return nil
}

// limit writes controller c's settings.
func (g *Group) limit(c string, r Resources) error {
	p := g.dirs[c]
	for _, kv := range settings(c, p.Version, r) {
		if err := write(p.Dir, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// settings are the files and values that express r for controller c,
// in the order they must be written (v1 memsw must not fall below the
// memory limit).
func settings(c string, version int, r Resources) [][2]string {
	var out [][2]string
	add := func(f string, v int64) { out = append(out, [2]string{f, strconv.FormatInt(v, 10)}) }
	switch {
	case c == Memory && version == 1:
		if r.Memory > 0 {
			add("memory.limit_in_bytes", r.Memory)
		}
		if r.MemorySwap != 0 {
			add("memory.memsw.limit_in_bytes", r.MemorySwap)
		}
	case c == Memory:
		if r.Memory > 0 {
			add("memory.max", r.Memory)
		}
		switch {
		case r.MemorySwap == -1:
			out = append(out, [2]string{"memory.swap.max", "max"})
		case r.MemorySwap > 0:
			add("memory.swap.max", max(r.MemorySwap-r.Memory, 0))
		}
	case c == Pids && r.PidsLimit > 0:
		add("pids.max", r.PidsLimit)
	case c == CPU && version == 1:
		if r.NanoCPUs > 0 {
			add("cpu.cfs_period_us", cpuPeriod)
			add("cpu.cfs_quota_us", r.NanoCPUs*cpuPeriod/1e9)
		}
		if r.CPUShares > 0 {
			add("cpu.shares", r.CPUShares)
		}
	case c == CPU:
		if r.NanoCPUs > 0 {
			out = append(out, [2]string{"cpu.max", fmt.Sprintf("%d %d", r.NanoCPUs*cpuPeriod/1e9, cpuPeriod)})
		}
		if r.CPUShares > 0 {
			add("cpu.weight", SharesToWeight(r.CPUShares))
		}
	}
	return out
}

// SharesToWeight converts v1 cpu.shares (2-262144) to v2 cpu.weight
// (1-10000) as runc and crun do.
func SharesToWeight(shares int64) int64 {
	return 1 + ((min(max(shares, 2), 262144)-2)*9999)/262142
}

func write(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("set cgroup %s to %s: %w", file, value, err)
	}
	return nil
}

// Add moves process pid (with all its threads) into the group.
func (g *Group) Add(pid int) error {
	done := map[string]bool{}
	for _, c := range Controllers {
		p, ok := g.dirs[c]
		if !ok || done[p.Dir] {
			continue
		}
		done[p.Dir] = true
		if err := write(p.Dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("move process %d into cgroup %s: %w", pid, p.Dir, err)
		}
	}
	return nil
}

// ProcsFiles are the group's cgroup.procs files, one per directory.
func (g *Group) ProcsFiles() []string {
	var out []string
	done := map[string]bool{}
	for _, c := range Controllers {
		if p, ok := g.dirs[c]; ok && !done[p.Dir] {
			done[p.Dir] = true
			out = append(out, filepath.Join(p.Dir, "cgroup.procs"))
		}
	}
	return out
}

// Stats are what the kernel measured for a group.
type Stats struct {
	PeakMemory int64 // bytes; 0 when unknown
	OOMKills   int64
}

// Stats reads peak memory and OOM kills (memory controller only).
func (g *Group) Stats() Stats {
	var s Stats
	p, ok := g.dirs[Memory]
	if !ok {
		return s
	}
	if p.Version == 1 {
		s.PeakMemory = readInt(filepath.Join(p.Dir, "memory.max_usage_in_bytes"))
		s.OOMKills = readKey(filepath.Join(p.Dir, "memory.oom_control"), "oom_kill")
		return s
	}
	s.PeakMemory = readInt(filepath.Join(p.Dir, "memory.peak"))
	s.OOMKills = readKey(filepath.Join(p.Dir, "memory.events"), "oom_kill")
	return s
}

func readInt(file string) int64 {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n
}

// readKey reads "key N" from a flat-keyed cgroup file.
func readKey(file, key string) int64 {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// Kill sends SIGKILL to every process left in the group.
func (g *Group) Kill() {
	for _, f := range g.ProcsFiles() {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(s); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// Remove deletes the group's directories. Processes leave a group only
// once reaped, so a busy group is retried for a moment.
func (g *Group) Remove() error {
	var first error
	for dir := range g.made {
		err := os.Remove(dir)
		for i := 0; i < 50 && errors.Is(err, syscall.EBUSY); i++ {
			time.Sleep(20 * time.Millisecond)
			err = os.Remove(dir)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = fmt.Errorf("remove cgroup: %w", err)
		}
	}
	return first
}

// Join moves pid into the groups called name (a container's, "hull-ID")
// that process member (the container's init) is in, so that a process
// started later in the container (hull exec) counts against the same
// limits. The groups are found through /proc/MEMBER/cgroup, not through a
// Layout: the container may have been started from another cgroup (its
// creator's own) than the one the caller runs in. Hierarchies where
// member is in no group of that name are skipped.
func Join(env Env, member int, name string, pid int) error {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", member))
	if err != nil {
		return fmt.Errorf("read cgroups of process %d: %w", member, err)
	}
	for _, p := range groupsNamed(env, string(data), name) {
		if err := write(p.Dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("move process %d into cgroup %s: %w", pid, p.Dir, err)
		}
	}
	return nil
}

// Member is the group called name (a container's, "hull-ID") that
// process member is in, found through /proc/MEMBER/cgroup as Join finds
// it, so that a process in another cgroup than the container's creator
// (rm -f from outside a job's cgroup) sees the right directories: Stats,
// Kill and Remove work on it. nil when member is gone or in no group of
// that name.
func Member(env Env, member int, name string) *Group {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", member))
	if err != nil {
		return nil
	}
	return memberGroup(env, string(data), name)
}

// memberGroup is Member on a /proc/PID/cgroup text: each controller in
// the v1 group of that name, else in the unified one.
func memberGroup(env Env, procCgroup, name string) *Group {
	unified, v1 := parseProcCgroup(procCgroup)
	g := &Group{dirs: map[string]Place{}, made: map[string]bool{}}
	for _, c := range Controllers {
		mnt, ok := env.V1[c]
		if !ok || path.Base(v1[c]) != name {
			continue
		}
		if rel, ok := env.v1Rel(c, v1[c]); ok {
			dir := filepath.Join(mnt, rel)
			g.dirs[c], g.made[dir] = Place{Dir: dir, Version: 1}, true
		}
	}
	if env.Unified != "" && path.Base(unified) == name {
		dir := filepath.Join(env.Unified, unified)
		g.made[dir] = true
		for _, c := range Controllers {
			if _, v1 := env.V1[c]; !v1 {
				g.dirs[c] = Place{Dir: dir, Version: 2}
			}
		}
	}
	if len(g.made) == 0 {
		return nil
	}
	return g
}

// groupsNamed are the directories, from a /proc/PID/cgroup text, of the
// groups called name in the hierarchies hull manages (each directory once).
func groupsNamed(env Env, procCgroup, name string) []Place {
	unified, v1 := parseProcCgroup(procCgroup)
	var out []Place
	seen := map[string]bool{}
	add := func(dir string, version int) {
		if !seen[dir] {
			seen[dir] = true
			out = append(out, Place{Dir: dir, Version: version})
		}
	}
	for _, c := range Controllers {
		mnt, ok := env.V1[c]
		if !ok || path.Base(v1[c]) != name {
			continue
		}
		if rel, ok := env.v1Rel(c, v1[c]); ok {
			add(filepath.Join(mnt, rel), 1)
		}
	}
	if env.Unified != "" && path.Base(unified) == name {
		add(filepath.Join(env.Unified, unified), 2)
	}
	return out
}
