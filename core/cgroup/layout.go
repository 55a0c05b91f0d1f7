package cgroup

import (
	"bufio"
	"fmt"
	"os"
	"path"
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
	// Own: Dir is the process's own cgroup (a delegation the caller ran
	// hull in), not the hull-UID convention.
	Own bool `json:"own,omitempty"`
	// MoveSelf (v2 only): hull is the only process in Dir; it moves itself
	// into Dir/LeafName before it enables controllers for children, as
	// cgroup v2 allows that only in a cgroup without processes.
	MoveSelf bool `json:"move_self,omitempty"`
}

// LeafName is the child of its own v2 cgroup that hull moves itself into
// (Place.MoveSelf); a process found there counts the parent as its own.
const LeafName = "hull-self"

// Layout is what Discover found: per controller, a Place, or a reason why
// there is none; Notes say, per controller with a Place, which candidate
// was used and why the others were not.
type Layout struct {
	Places  map[string]Place  `json:"places"`
	Reasons map[string]string `json:"reasons"`
	Notes   map[string]string `json:"notes,omitempty"`
}

// Has reports whether controller ctrl can be used.
func (l Layout) Has(ctrl string) bool { _, ok := l.Places[ctrl]; return ok }

// Summary describes the layout in one line per hierarchy and choice, as
// `hull info` shows it: "v1 memory,pids,cpu: own cgroup /ci-job
// (writable); hull-1001 not used".
func (l Layout) Summary() []string {
	var keys []string
	ctrls := map[string][]string{}
	for _, c := range Controllers {
		key := "none"
		if p, ok := l.Places[c]; ok {
			key = fmt.Sprintf("v%d", p.Version)
			if n := l.Notes[c]; n != "" {
				key += "\x00" + n
			}
		}
		if _, seen := ctrls[key]; !seen {
			keys = append(keys, key)
		}
		ctrls[key] = append(ctrls[key], c)
	}
	var out []string
	for _, k := range keys {
		version, note, _ := strings.Cut(k, "\x00")
		if version == "none" {
			out = append(out, fmt.Sprintf("%s: no cgroup (see the limits below)", strings.Join(ctrls[k], ",")))
			continue
		}
		line := version + " " + strings.Join(ctrls[k], ",")
		if note != "" {
			line += ": " + note
		}
		out = append(out, line)
	}
	return out
}

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
	// SelfV1 maps each v1 controller to the process's directory in its
	// hierarchy, relative to the mount point ("N:memory:PATH" of
	// /proc/self/cgroup, less the mount's own root).
	SelfV1 map[string]string
	// V1Root maps each v1 controller to the hierarchy path its mount shows
	// (mountinfo's root field; "/" unless a subtree is mounted).
	V1Root map[string]string
	UID    int
	PID    int // the process whose own cgroup Self names
}

// Probe reads the host's cgroup mounts and the process's own cgroup.
func Probe() Env {
	env := Env{Root: "/sys/fs/cgroup", V1: map[string]string{}, V1Root: map[string]string{}, UID: os.Getuid(), PID: os.Getpid()}
	if isCgroup2(env.Root) {
		env.Unified = env.Root
	} else if isCgroup2(filepath.Join(env.Root, "unified")) {
		env.Unified = filepath.Join(env.Root, "unified")
	}
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		env.V1, env.V1Root = v1Mounts(f)
		f.Close()
	}
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		var v1 map[string]string
		env.Self, v1 = parseProcCgroup(string(data))
		env.SelfV1 = map[string]string{}
		for c, p := range v1 {
			if rel, ok := env.v1Rel(c, p); ok {
				env.SelfV1[c] = rel
			}
		}
	}
	return env
}

// v1Rel is hierarchy path p of controller c relative to its mount point;
// false when the mount does not show it.
func (env Env) v1Rel(c, p string) (string, bool) {
	root := env.V1Root[c]
	if root == "" || root == "/" {
		return p, true
	}
	if p == root {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, root+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// v1Mounts maps controllers to mount points, and to the hierarchy path
// each mount shows, from mountinfo lines such as
// "… / /sys/fs/cgroup/cpu,cpuacct … - cgroup cgroup rw,cpu,cpuacct".
func v1Mounts(f *os.File) (mounts, roots map[string]string) {
	mounts, roots = map[string]string{}, map[string]string{}
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
					mounts[c], roots[c] = fields[4], fields[3]
				}
			}
		}
	}
	return mounts, roots
}

// parseProcCgroup splits /proc/PID/cgroup into the unified hierarchy's
// path (the "0::" entry) and each v1 controller's ("N:cpu,cpuacct:PATH").
func parseProcCgroup(procCgroup string) (unified string, v1 map[string]string) {
	v1 = map[string]string{}
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			v1[c] = parts[2]
		}
	}
	return unified, v1
}

// unifiedPath is the "0::" entry of /proc/PID/cgroup.
func unifiedPath(procCgroup string) string {
	u, _ := parseProcCgroup(procCgroup)
	return u
}

// DelegationName is the per-user directory an administrator creates (and
// chowns to the user) under a hierarchy to delegate it to hull.
func DelegationName(uid int) string { return "hull-" + strconv.Itoa(uid) }

// Discover finds, for each controller, a directory the user may create
// groups in, in this order: the process's own cgroup when the user may
// write it (a delegation: a CI runner's job cgroup, a systemd scope with
// Delegate=yes), then the hull-UID directory an administrator delegated,
// else none (the caller falls back to rlimits). A v1 controller is looked
// for in its own hierarchy; the others in the unified one.
func Discover(env Env) Layout {
	l := Layout{Places: map[string]Place{}, Reasons: map[string]string{}, Notes: map[string]string{}}
	v2 := unifiedCandidates(env)
	deleg := DelegationName(env.UID)
	for _, c := range Controllers {
		if mnt, ok := env.V1[c]; ok {
			discoverV1(env, &l, c, mnt)
			continue
		}
		if env.Unified == "" {
			l.Reasons[c] = "no cgroup v2 hierarchy and no v1 hierarchy for this controller"
			continue
		}
		var why []string
		found := false
		for _, cand := range v2 {
			switch {
			case cand.err != "":
				why = append(why, cand.err)
			case !cand.ctrls[c]:
				why = append(why, fmt.Sprintf("controller %s is not delegated to %s", c, cand.name))
			default:
				l.Places[c] = Place{Dir: cand.dir, Version: 2, Own: cand.own, MoveSelf: cand.moveSelf}
				l.Notes[c] = choiceNote(cand.name, cand.own, why, deleg)
				found = true
			}
			if found {
				break
			}
		}
		if !found {
			l.Reasons[c] = "cgroup v2: no delegated subtree (" + strings.Join(why, "; ") +
				"; run under a systemd user session with Delegate=yes, or have the administrator delegate " +
				filepath.Join(env.Unified, deleg) + ")"
		}
	}
	return l
}

// choiceNote says which candidate was used and why earlier ones were not.
func choiceNote(name string, own bool, why []string, deleg string) string {
	if own {
		return fmt.Sprintf("own cgroup %s (writable); %s not used", name, deleg)
	}
	return strings.Join(append(why, name+" (delegated)"), "; ")
}

// discoverV1 looks for controller c in its v1 hierarchy mounted at mnt.
func discoverV1(env Env, l *Layout, c, mnt string) {
	deleg := DelegationName(env.UID)
	var why []string
	if self, ok := env.SelfV1[c]; ok && self != "/" && self != "" {
		dir := filepath.Join(mnt, self)
		err := writableGroup(dir, 1)
		if err == nil {
			l.Places[c] = Place{Dir: dir, Version: 1, Own: true}
			l.Notes[c] = choiceNote(self, true, nil, deleg)
			return
		}
		why = append(why, fmt.Sprintf("own cgroup %s not writable (%v)", self, err))
	} else {
		why = append(why, "own cgroup is the hierarchy's root")
	}
	dir := filepath.Join(mnt, deleg)
	if err := writableGroup(dir, 1); err != nil {
		l.Reasons[c] = fmt.Sprintf("cgroup v1 %s hierarchy: %s; no delegated subtree (%v); as root: mkdir %s && chown -R %d %s",
			c, strings.Join(why, "; "), err, dir, env.UID, dir)
		return
	}
	l.Places[c] = Place{Dir: dir, Version: 1}
	l.Notes[c] = choiceNote(deleg, false, why, deleg)
}

// v2Candidate is a directory of the unified hierarchy Discover tried:
// usable with ctrls, or err says why not.
type v2Candidate struct {
	name, dir     string
	own, moveSelf bool
	ctrls         map[string]bool
	err           string
}

// unifiedCandidates are the process's own cgroup and hull-UID in the
// unified hierarchy, in that order of preference.
func unifiedCandidates(env Env) []v2Candidate {
	if env.Unified == "" {
		return nil
	}
	var out []v2Candidate
	self := env.Self
	if path.Base(self) == LeafName {
		self = path.Dir(self) // hull moved itself here earlier
	}
	if self != "" && self != "/" {
		out = append(out, v2Candidate{name: self, dir: filepath.Join(env.Unified, self), own: true})
	} else {
		out = append(out, v2Candidate{name: "own cgroup", err: "own cgroup is the hierarchy's root"})
	}
	deleg := DelegationName(env.UID)
	out = append(out, v2Candidate{name: deleg, dir: filepath.Join(env.Unified, deleg)})
	for i := range out {
		cand := &out[i]
		if cand.err != "" {
			continue
		}
		label := cand.name
		if cand.own {
			label = "own cgroup " + cand.name
		}
		if err := writableGroup(cand.dir, 2); err != nil {
			cand.err = fmt.Sprintf("%s not writable (%v)", label, err)
			continue
		}
		data, err := os.ReadFile(filepath.Join(cand.dir, "cgroup.controllers"))
		if err != nil {
			cand.err = fmt.Sprintf("%s: %v", label, err)
			continue
		}
		cand.ctrls = map[string]bool{}
		for _, c := range strings.Fields(string(data)) {
			cand.ctrls[c] = true
		}
		if !cand.own {
			continue
		}
		// No internal processes: controllers reach children only of a
		// cgroup without processes. hull may move itself out of the way,
		// but not anyone else.
		procs, err := os.ReadFile(filepath.Join(cand.dir, "cgroup.procs"))
		if err != nil {
			cand.err = fmt.Sprintf("%s: %v", label, err)
			continue
		}
		for _, f := range strings.Fields(string(procs)) {
			if f == strconv.Itoa(env.PID) {
				cand.moveSelf = true
				continue
			}
			cand.err = fmt.Sprintf("%s holds other processes (cgroup v2 gives controllers to the children of a cgroup only when it holds none; start hull in a cgroup of its own, e.g. systemd-run --user --scope -p Delegate=yes)", label)
			break
		}
	}
	return out
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
