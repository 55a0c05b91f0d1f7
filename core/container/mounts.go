package container

import (
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/hull-project/hull/core/volume"
	"github.com/hull-project/hull/isolation"
)

// bindModes are the mode words -v accepts after the second colon. Only
// ro/rw change anything for a bind, and nocopy for a volume: SELinux
// relabelling, propagation and the macOS consistency hints mean nothing
// for a rootless bind.
var bindModes = map[string]bool{
	"ro": true, "rw": true, "z": true, "Z": true, "nocopy": true,
	"private": true, "rprivate": true, "shared": true, "rshared": true, "slave": true, "rslave": true,
	"consistent": true, "cached": true, "delegated": true,
	// hull's own: no symlink may be on the source's path when the
	// container starts (isolation.MountNoFollow).
	isolation.MountNoFollow: true,
}

// ParseVolume parses one -v: SRC:DST[:MODE] with SRC an existing absolute
// host path (a bind) or a volume name, or DST alone (an anonymous volume,
// whose Name the caller makes up).
func ParseVolume(spec string) (MountPoint, error) {
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		if !path.IsAbs(spec) {
			return MountPoint{}, fmt.Errorf("invalid volume specification: '%s'", spec)
		}
		parts = []string{"", spec}
	case 2, 3:
		if parts[0] == "" {
			return MountPoint{}, fmt.Errorf("invalid volume specification: '%s'", spec)
		}
	default:
		return MountPoint{}, fmt.Errorf("invalid volume specification: '%s'", spec)
	}
	mp := MountPoint{Type: "bind", Source: parts[0], RW: true, Propagation: "rprivate"}
	if len(parts) == 3 {
		if err := parseBindMode(parts[2], &mp); err != nil {
			return MountPoint{}, fmt.Errorf("invalid volume specification: '%s': %w", spec, err)
		}
	}
	dst, err := cleanDestination(parts[1])
	if err != nil {
		return MountPoint{}, fmt.Errorf("invalid volume specification: '%s': %w", spec, err)
	}
	mp.Destination = dst
	if !path.IsAbs(mp.Source) {
		if mp.Source != "" && !volume.ValidName(mp.Source) {
			return MountPoint{}, fmt.Errorf("%q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed; if you intended to pass a host directory, use an absolute path", mp.Source)
		}
		mp.Type, mp.Name, mp.Source, mp.Driver, mp.Propagation = "volume", mp.Source, "", "local", ""
		mp.Anonymous = mp.Name == ""
		return mp, nil
	}
	mp.Source = path.Clean(mp.Source)
	return mp, checkBindSource(mp.Source)
}

func parseBindMode(mode string, mp *MountPoint) error {
	rw := 0
	for _, m := range strings.Split(mode, ",") {
		if !bindModes[m] {
			return fmt.Errorf("invalid mode: %s", m)
		}
		if m == "ro" || m == "rw" {
			rw++
			mp.RW = m == "rw"
		}
	}
	if rw > 1 {
		return fmt.Errorf("invalid mode: %s", mode)
	}
	mp.Mode = mode
	return nil
}

func cleanDestination(dst string) (string, error) {
	if !path.IsAbs(dst) {
		return "", fmt.Errorf("invalid mount path: '%s' mount path must be absolute", dst)
	}
	dst = path.Clean(dst)
	if dst == "/" {
		return "", fmt.Errorf("invalid specification: destination can't be '/'")
	}
	return dst, nil
}

func checkBindSource(src string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("invalid mount config for type \"bind\": bind source path does not exist: %s", src)
	}
	return nil
}

// ParseMount parses one --mount flag: comma-separated key=value fields with
// type=bind (source, target, readonly), type=volume (source: a volume name
// or none for an anonymous one, target, readonly, volume-nocopy) or
// type=tmpfs (target, tmpfs-size, tmpfs-mode, readonly). type defaults to
// volume, as in Docker.
func ParseMount(spec string) (Mount, error) {
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return Mount{}, fmt.Errorf("invalid mount %q: %w", spec, err)
	}
	m := Mount{Type: "volume"}
	for _, f := range fields {
		if err := setMountField(&m, f); err != nil {
			return Mount{}, fmt.Errorf("invalid mount %q: %w", spec, err)
		}
	}
	return m, validateMount(&m)
}

func setMountField(m *Mount, field string) error {
	key, val, hasVal := strings.Cut(field, "=")
	var err error
	switch strings.ToLower(key) {
	case "type":
		m.Type = val
	case "source", "src":
		m.Source = val
	case "target", "destination", "dst":
		m.Target = val
	case "readonly", "ro":
		m.ReadOnly, err = parseMountBool(val, hasVal)
	case "volume-nocopy":
		m.NoCopy, err = parseMountBool(val, hasVal)
	case "bind-propagation", "consistency":
		// meaningless for a rootless bind; accepted like -v's modes
	case "tmpfs-size":
		m.TmpfsSize, err = units.RAMInBytes(val)
	case "tmpfs-mode":
		var mode uint64
		mode, err = strconv.ParseUint(val, 8, 32)
		m.TmpfsMode = uint32(mode)
	default:
		return fmt.Errorf("unexpected key '%s'", key)
	}
	if err != nil {
		return fmt.Errorf("invalid value for %s: %s", key, val)
	}
	return nil
}

func parseMountBool(val string, hasVal bool) (bool, error) {
	if !hasVal {
		return true, nil
	}
	switch strings.ToLower(val) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean")
}

func validateMount(m *Mount) error {
	switch m.Type {
	case "bind", "tmpfs", "volume":
	default:
		return fmt.Errorf("invalid mount type %q", m.Type)
	}
	if m.Target == "" {
		return fmt.Errorf("invalid mount config for type %q: field Target must not be empty", m.Type)
	}
	dst, err := cleanDestination(m.Target)
	if err != nil {
		return err
	}
	m.Target = dst
	if m.Type == "tmpfs" {
		if m.Source != "" {
			return fmt.Errorf("invalid mount config for type \"tmpfs\": field Source must not be specified")
		}
		return nil
	}
	if m.TmpfsSize != 0 || m.TmpfsMode != 0 {
		return fmt.Errorf("invalid mount config for type %q: tmpfs options are only valid for type=tmpfs", m.Type)
	}
	if m.Type == "volume" {
		if m.Source != "" && !volume.ValidName(m.Source) {
			return fmt.Errorf("invalid mount config for type \"volume\": invalid volume name %q: only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed", m.Source)
		}
		return nil
	}
	if m.NoCopy {
		return fmt.Errorf("invalid mount config for type \"bind\": volume-nocopy is only valid for type=volume")
	}
	if m.Source == "" {
		return fmt.Errorf("invalid mount config for type \"bind\": field Source must not be empty")
	}
	if !path.IsAbs(m.Source) {
		return fmt.Errorf("invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", m.Source)
	}
	m.Source = path.Clean(m.Source)
	return checkBindSource(m.Source)
}

// ParseTmpfs parses one --tmpfs DST[:OPTIONS] and checks the options.
func ParseTmpfs(spec string) (dst, opts string, err error) {
	dst, opts, _ = strings.Cut(spec, ":")
	if dst, err = cleanDestination(dst); err != nil {
		return "", "", fmt.Errorf("invalid tmpfs %q: %w", spec, err)
	}
	if _, err := tmpfsOptions(opts); err != nil {
		return "", "", fmt.Errorf("invalid tmpfs %q: %w", spec, err)
	}
	return dst, opts, nil
}

// tmpfsFlags pairs each tmpfs flag with the flag it cancels.
var tmpfsFlags = map[string]string{
	"exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
	"dev": "nodev", "nodev": "dev", "ro": "rw", "rw": "ro",
}

var tmpfsKeys = map[string]bool{"size": true, "mode": true, "uid": true, "gid": true, "nr_inodes": true, "nr_blocks": true}

// tmpfsOptions merges Docker's tmpfs defaults (noexec, nosuid, nodev) with
// the user's comma-separated options, later ones winning, and returns the
// mount options in a stable order.
func tmpfsOptions(user string) ([]string, error) {
	flags := map[string]bool{"noexec": true, "nosuid": true, "nodev": true}
	values := map[string]string{}
	var order []string
	if user != "" {
		for _, o := range strings.Split(user, ",") {
			if err := mergeTmpfsOption(o, flags, values, &order); err != nil {
				return nil, err
			}
		}
	}
	var out []string
	for _, f := range []string{"ro", "noexec", "nosuid", "nodev"} {
		if flags[f] {
			out = append(out, f)
		}
	}
	for _, k := range order {
		out = append(out, k+"="+values[k])
	}
	return out, nil
}

func mergeTmpfsOption(o string, flags map[string]bool, values map[string]string, order *[]string) error {
	if k, v, ok := strings.Cut(o, "="); ok {
		if !tmpfsKeys[k] {
			return fmt.Errorf("invalid tmpfs option %q", o)
		}
		if k == "size" {
			n, err := units.RAMInBytes(v)
			if err != nil {
				return fmt.Errorf("invalid tmpfs size %q", v)
			}
			v = strconv.FormatInt(n, 10)
		}
		if _, seen := values[k]; !seen {
			*order = append(*order, k)
		}
		values[k] = v
		return nil
	}
	opposite, ok := tmpfsFlags[o]
	if !ok {
		return fmt.Errorf("invalid tmpfs option %q", o)
	}
	flags[o], flags[opposite] = true, false
	return nil
}

// mountPlan is every mount of a container, as isolation applies them and
// as inspect lists them.
type mountPlan struct {
	mounts []isolation.Mount
	points []MountPoint
}

// planMounts turns the host config's -v, --mount and --tmpfs settings and
// the container's volumes (vols, see volumePoints) into isolation mounts,
// parents before children, refusing a destination used twice.
func planMounts(hc HostConfig, vols []MountPoint) (mountPlan, error) {
	var p mountPlan
	for _, b := range hc.Binds {
		mp, err := ParseVolume(b)
		if err != nil {
			return p, err
		}
		if mp.Type == "bind" {
			m := bindMount(mp.Source, mp.Destination, !mp.RW)
			if slices.Contains(strings.Split(mp.Mode, ","), isolation.MountNoFollow) {
				m.Options = append(m.Options, isolation.MountNoFollow)
			}
			p.add(m, mp)
		}
	}
	for _, m := range hc.Mounts {
		if m.Type == "volume" {
			continue
		}
		if err := p.addMount(m); err != nil {
			return p, err
		}
	}
	for _, v := range vols {
		p.add(volumeMount(v), v)
	}
	dsts := make([]string, 0, len(hc.Tmpfs))
	for d := range hc.Tmpfs {
		dsts = append(dsts, d)
	}
	sort.Strings(dsts)
	for _, d := range dsts {
		opts, err := tmpfsOptions(hc.Tmpfs[d])
		if err != nil {
			return p, err
		}
		p.mounts = append(p.mounts, isolation.Mount{Type: "tmpfs", Source: "tmpfs", Destination: d, Options: opts})
	}
	return p, p.sortAndCheck()
}

func (p *mountPlan) addMount(m Mount) error {
	if m.Type == "bind" {
		if err := checkBindSource(m.Source); err != nil {
			return err
		}
		p.add(bindMount(m.Source, m.Target, m.ReadOnly),
			MountPoint{Type: "bind", Source: m.Source, Destination: m.Target, RW: !m.ReadOnly, Propagation: "rprivate"})
		return nil
	}
	var user []string
	if m.ReadOnly {
		user = append(user, "ro")
	}
	if m.TmpfsSize > 0 {
		user = append(user, "size="+strconv.FormatInt(m.TmpfsSize, 10))
	}
	if m.TmpfsMode != 0 {
		user = append(user, "mode="+strconv.FormatUint(uint64(m.TmpfsMode), 8))
	}
	opts, err := tmpfsOptions(strings.Join(user, ","))
	if err != nil {
		return err
	}
	p.add(isolation.Mount{Type: "tmpfs", Source: "tmpfs", Destination: m.Target, Options: opts},
		MountPoint{Type: "tmpfs", Destination: m.Target, RW: !m.ReadOnly})
	return nil
}

func (p *mountPlan) add(m isolation.Mount, mp MountPoint) {
	p.mounts = append(p.mounts, m)
	p.points = append(p.points, mp)
}

func bindMount(src, dst string, ro bool) isolation.Mount {
	opt := "rw"
	if ro {
		opt = "ro"
	}
	return isolation.Mount{Type: "bind", Source: src, Destination: dst, Options: []string{opt}}
}

// sortAndCheck orders mounts by destination depth, so that a mount on
// /a/b lands on top of one on /a, and refuses duplicate destinations.
func (p *mountPlan) sortAndCheck() error {
	seen := map[string]bool{}
	for _, m := range p.mounts {
		if seen[m.Destination] {
			return fmt.Errorf("duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
	}
	sort.SliceStable(p.mounts, func(i, j int) bool {
		return strings.Count(p.mounts[i].Destination, "/") < strings.Count(p.mounts[j].Destination, "/")
	})
	return nil
}

// pinBindSources records each bind's source with its symlinks resolved,
// once, at create: the user's own path may be a link then, as Docker
// allows. Later starts bind the recorded path (pinBinds). A source given
// with the nofollow mode is recorded as given: no link may be on it.
func pinBindSources(points []MountPoint) error {
	for i, mp := range points {
		if mp.Type != "bind" {
			continue
		}
		real := mp.Source
		if !hasMode(mp.Mode, isolation.MountNoFollow) {
			var err error
			if real, err = filepath.EvalSymlinks(mp.Source); err != nil {
				return fmt.Errorf("resolve bind source %s: %w", mp.Source, err)
			}
		}
		fi, err := os.Stat(real)
		if err != nil {
			return fmt.Errorf("bind source %s: %w", mp.Source, err)
		}
		isDir := fi.IsDir()
		points[i].HostPath, points[i].HostPathDir = real, &isDir
	}
	return nil
}

// pinBinds makes every -v and --mount bind of the plan bind the path
// recorded at create, opened with no symlink on it
// (isolation.MountNoFollow). A container that can write in a bind
// source's parent (-v /d:/d -v /d/sub:/sub) may swap the source for a
// link between starts; resolving the user's path again would then bind
// whatever the container pointed it at, at the next start or restart. A
// source that is no longer of its kind at create (a directory, or not)
// is refused too.
// A record from before HostPath binds its Source the same way: a source
// reached through a link then fails to start, with the link named.
func (p *mountPlan) pinBinds(points []MountPoint) {
	pinned := map[string]MountPoint{}
	for _, mp := range points {
		if mp.Type == "bind" {
			pinned[mp.Destination] = mp
		}
	}
	for i, m := range p.mounts {
		mp, ok := pinned[m.Destination]
		if !ok || m.Type != "bind" {
			continue
		}
		p.mounts[i].Source = mp.HostPath
		if mp.HostPath == "" {
			p.mounts[i].Source = mp.Source
		}
		opts := slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == isolation.MountNoFollow })
		opts = append(opts, isolation.MountNoFollow)
		if mp.HostPathDir != nil {
			opts = append(opts, map[bool]string{true: isolation.MountSourceDir, false: isolation.MountSourceFile}[*mp.HostPathDir])
		}
		p.mounts[i].Options = opts
	}
}
