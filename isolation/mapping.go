package isolation

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
)

// DetectMapping returns the full mapping (the user as container root, the
// user's subordinate range from /etc/subuid and /etc/subgid as ids 1…) when
// both ranges and newuidmap/newgidmap exist; otherwise the single mapping.
func DetectMapping() (Mapping, error) {
	uid, gid := os.Getuid(), os.Getgid()
	single := Mapping{
		UIDs: []IDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GIDs: []IDMap{{ContainerID: 0, HostID: gid, Size: 1}},
	}
	if os.Getenv("HULL_SINGLE_MAPPING") == "1" {
		return single, nil
	}
	if _, err := idMapTool("newuidmap"); err != nil {
		return single, nil
	}
	if _, err := idMapTool("newgidmap"); err != nil {
		return single, nil
	}
	name := strconv.Itoa(uid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	subu, err := subRange("/etc/subuid", name, uid)
	if err != nil || subu == nil {
		return single, err
	}
	subg, err := subRange("/etc/subgid", name, uid)
	if err != nil || subg == nil {
		return single, err
	}
	return Mapping{
		UIDs: []IDMap{{0, uid, 1}, {1, subu[0], subu[1]}},
		GIDs: []IDMap{{0, gid, 1}, {1, subg[0], subg[1]}},
	}, nil
}

// MappingKind names the mapping for `hull info`: "subuid" or "single".
func MappingKind(m Mapping) string {
	if len(m.UIDs) > 1 {
		return "subuid"
	}
	return "single"
}

// IsFull reports whether the mapping needs newuidmap/newgidmap.
func (m Mapping) IsFull() bool { return len(m.UIDs) > 1 || len(m.GIDs) > 1 }

// subRange returns the first start/count in file for the user (by name or
// uid), or nil when there is none.
func subRange(file, name string, uid int) ([]int, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != strconv.Itoa(uid)) {
			continue
		}
		start, err1 := strconv.Atoi(parts[1])
		count, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || count < 1 {
			return nil, fmt.Errorf("%s: bad entry %q", file, sc.Text())
		}
		return []int{start, count}, nil
	}
	return nil, sc.Err()
}

// writeMaps runs newuidmap and newgidmap for pid in parallel: each costs a
// few milliseconds of setuid-binary start-up.
func writeMaps(pid int, m Mapping) error {
	errc := make(chan error, 1)
	go func() { errc <- runIDMapTool("newgidmap", pid, m.GIDs) }()
	err := runIDMapTool("newuidmap", pid, m.UIDs)
	if gerr := <-errc; err == nil {
		err = gerr
	}
	return err
}

// idMapTools are newuidmap's and newgidmap's places on PATH, looked up
// once per process: DetectMapping and every start's writeMaps need them,
// and each look-up stats every PATH entry.
var idMapTools = struct{ uid, gid lookedUp }{}

type lookedUp struct {
	once sync.Once
	path string
	err  error
}

// idMapTool returns the path of tool, newuidmap or newgidmap.
func idMapTool(tool string) (string, error) {
	var l *lookedUp
	switch tool {
	case "newuidmap":
		l = &idMapTools.uid
	case "newgidmap":
		l = &idMapTools.gid
	default:
		return "", fmt.Errorf("%s: not an id map tool", tool)
	}
	l.once.Do(func() { l.path, l.err = exec.LookPath(tool) })
	return l.path, l.err
}

func runIDMapTool(tool string, pid int, maps []IDMap) error {
	args := []string{strconv.Itoa(pid)}
	for _, e := range maps {
		args = append(args, strconv.Itoa(e.ContainerID), strconv.Itoa(e.HostID), strconv.Itoa(e.Size))
	}
	path, err := idMapTool(tool)
	if err != nil {
		return fmt.Errorf("%s: %w", tool, err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// KeepID returns the mapping of --userns keep-id: the user's own uid and
// gid keep their values inside (container uid == host uid), as in Podman.
// It is the full mapping m with container ids 0 and uid swapped, so every
// other id keeps the host id it has under m: image layers unpacked under
// m keep their owners, except that files of the image's root show as
// owned by uid (and the image's uid, if any file has it, as root).
// m must be a full mapping whose subordinate range covers uid.
func KeepID(m Mapping, uid, gid int) (Mapping, error) {
	uids, err := swapZero(m.UIDs, uid)
	if err != nil {
		return Mapping{}, fmt.Errorf("--userns keep-id: uid %d: %w", uid, err)
	}
	gids, err := swapZero(m.GIDs, gid)
	if err != nil {
		return Mapping{}, fmt.Errorf("--userns keep-id: gid %d: %w", gid, err)
	}
	return Mapping{UIDs: uids, GIDs: gids}, nil
}

// swapZero rewrites the full mapping [0 -> self (1), 1 -> sub (n)] so that
// id maps to self and 0 to what id mapped to.
func swapZero(maps []IDMap, id int) ([]IDMap, error) {
	if len(maps) != 2 || maps[0].ContainerID != 0 || maps[0].Size != 1 || maps[1].ContainerID != 1 {
		return nil, fmt.Errorf("needs a subordinate id range (/etc/subuid, /etc/subgid)")
	}
	self, sub, n := maps[0].HostID, maps[1].HostID, maps[1].Size
	if id == 0 {
		return maps, nil
	}
	if id > n {
		return nil, fmt.Errorf("the subordinate range has only %d ids", n)
	}
	out := []IDMap{{ContainerID: 0, HostID: sub + id - 1, Size: 1}}
	if id > 1 {
		out = append(out, IDMap{ContainerID: 1, HostID: sub, Size: id - 1})
	}
	out = append(out, IDMap{ContainerID: id, HostID: self, Size: 1})
	if id < n {
		out = append(out, IDMap{ContainerID: id + 1, HostID: sub + id, Size: n - id})
	}
	return out, nil
}

// Single is the mapping of the user alone, as container root (--userns
// host in a rootless setting: no subordinate ids).
func Single(uid, gid int) Mapping {
	return Mapping{UIDs: []IDMap{{0, uid, 1}}, GIDs: []IDMap{{0, gid, 1}}}
}

// overflowID is the id the kernel shows for a host id the mapping does not
// cover (/proc/sys/kernel/overflowuid).
const overflowID = 65534

// ContainerIDs returns the ids that the host's uid and gid have inside a
// user namespace with mapping m, as the kernel shows them there: ids the
// mapping does not cover become 65534.
func (m Mapping) ContainerIDs(uid, gid int) (int, int) {
	return containerID(m.UIDs, uid), containerID(m.GIDs, gid)
}

func containerID(maps []IDMap, id int) int {
	for _, e := range maps {
		if id >= e.HostID && id < e.HostID+e.Size {
			return e.ContainerID + id - e.HostID
		}
	}
	return overflowID
}
