package cgroup

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The controllers hull manages.
const (
	Memory = "memory"
	Pids   = "pids"
	CPU    = "cpu"
)

// Controllers are the controllers hull manages, in a fixed order.
var Controllers = []string{Memory, Pids, CPU}

// Place is where one controller can be used: a directory the user may
// create groups in, and the hierarchy's version.
type Place struct {
	Dir     string `json:"dir"`
	Version int    `json:"version"` // 1 or 2
}

// Layout is what Discover found: per controller, a Place, or a reason why
// there is none.
type Layout struct {
	Places  map[string]Place  `json:"places"`
	Reasons map[string]string `json:"reasons"`
}

// Has reports whether controller ctrl can be used.
func (l Layout) Has(ctrl string) bool { _, ok := l.Places[ctrl]; return ok }

// Env is what discovery reads from the host; Probe fills it in, tests
// point Root at a fake cgroupfs.
type Env struct {
	Root string // where cgroup filesystems are mounted, /sys/fs/cgroup
	// Unified is the cgroup2 mount: Root itself on a v2-only host,
	// Root/unified on a hybrid one, "" without one.
	Unified string
	// V1 maps each v1-mounted controller to its hierarchy's mount point.
	V1 map[string]string
	// Self is the process's path in the unified hierarchy ("0::PATH" of
	// /proc/self/cgroup).
	Self string
	UID  int
}

// Probe reads the host's cgroup mounts and the process's own cgroup.
func Probe() Env {
	env := Env{Root: "/sys/fs/cgroup", V1: map[string]string{}, UID: os.Getuid()}
	if isCgroup2(env.Root) {
		env.Unified = env.Root
	} else if isCgroup2(filepath.Join(env.Root, "unified")) {
		env.Unified = filepath.Join(env.Root, "unified")
	}
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		env.V1 = v1Mounts(f)
		f.Close()
	}
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		env.Self = unifiedPath(string(data))
	}
	return env
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// v1Mounts maps controllers to mount points from mountinfo lines such as
// "… /sys/fs/cgroup/cpu,cpuacct … - cgroup cgroup rw,cpu,cpuacct".
func v1Mounts(f *os.File) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 || tail[0] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(tail[2], ",") {
			for _, c := range append([]string{Freezer}, Controllers...) {
				if opt == c {
					out[c] = fields[4]
				}
			}
		}
	}
	return out
}

// unifiedPath is the "0::" entry of /proc/PID/cgroup.
func unifiedPath(procCgroup string) string {
	for _, line := range strings.Split(procCgroup, "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// DelegationName is the per-user directory an administrator creates (and
// chowns to the user) under a hierarchy to delegate it to hull.
func DelegationName(uid int) string { return "hull-" + strconv.Itoa(uid) }

// Discover finds, for each controller, a directory the user may create
// groups in. A v1 hierarchy is used through Root/CONTROLLER/hull-UID; the
// unified one through Unified/hull-UID, else the process's own cgroup
// when it is writable and offers the controller.
func Discover(env Env) Layout {
	l := Layout{Places: map[string]Place{}, Reasons: map[string]string{}}
	v2dir, v2ctrls, v2why := unifiedDelegation(env)
	for _, c := range Controllers {
		if mnt, ok := env.V1[c]; ok {
			dir := filepath.Join(mnt, DelegationName(env.UID))
			if err := writableGroup(dir, 1); err != nil {
				l.Reasons[c] = fmt.Sprintf("cgroup v1 %s hierarchy: no delegated subtree (%v); as root: mkdir %s && chown -R %d %s", c, err, dir, env.UID, dir)
				continue
			}
			l.Places[c] = Place{Dir: dir, Version: 1}
			continue
		}
		switch {
		case v2dir != "" && v2ctrls[c]:
			l.Places[c] = Place{Dir: v2dir, Version: 2}
		case v2dir != "":
			l.Reasons[c] = fmt.Sprintf("cgroup v2: controller %s is not delegated to %s", c, v2dir)
		default:
			l.Reasons[c] = v2why
		}
	}
	return l
}

// unifiedDelegation finds a writable directory in the unified hierarchy
// and the controllers it offers.
func unifiedDelegation(env Env) (string, map[string]bool, string) {
	if env.Unified == "" {
		return "", nil, "no cgroup v2 hierarchy and no v1 hierarchy for this controller"
	}
	candidates := []string{filepath.Join(env.Unified, DelegationName(env.UID))}
	if env.Self != "" && env.Self != "/" {
		candidates = append(candidates, filepath.Join(env.Unified, env.Self))
	}
	why := "cgroup v2: no delegated subtree (neither " + candidates[0] + " nor the process's own cgroup is writable; run under a systemd user session or delegate one)"
	for _, dir := range candidates {
		if writableGroup(dir, 2) != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err != nil {
			continue
		}
		ctrls := map[string]bool{}
		for _, c := range strings.Fields(string(data)) {
			ctrls[c] = true
		}
		return dir, ctrls, ""
	}
	return "", nil, why
}

// writableGroup checks that the user may create groups in dir and move
// processes into them.
func writableGroup(dir string, version int) error {
	files := []string{dir, filepath.Join(dir, "cgroup.procs")}
	if version == 2 {
		files = append(files, filepath.Join(dir, "cgroup.subtree_control"))
	}
	for _, f := range files {
		if err := unix.Access(f, unix.W_OK); err != nil {
			return &os.PathError{Op: "access", Path: f, Err: err}
		}
	}
	return nil
}
