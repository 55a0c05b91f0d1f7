package isolation

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
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
	if _, err := exec.LookPath("newuidmap"); err != nil {
		return single, nil
	}
	if _, err := exec.LookPath("newgidmap"); err != nil {
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

func runIDMapTool(tool string, pid int, maps []IDMap) error {
	args := []string{strconv.Itoa(pid)}
	for _, e := range maps {
		args = append(args, strconv.Itoa(e.ContainerID), strconv.Itoa(e.HostID), strconv.Itoa(e.Size))
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
