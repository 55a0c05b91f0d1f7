package core

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/core/container"
)

// Top runs ps with psArgs (default -ef) for the container's processes, as
// Docker's daemon does: the options as given, and the container's pids
// with -q (when ps refuses that, all processes, filtered by pid). The
// user column shows the container's names for its ids, read from the
// container's own /etc/passwd, not the host's names of the mapped ids.
// Columns come out aligned by a tabwriter, as docker top prints them.
func (h *Hull) Top(ref string, psArgs []string) (string, error) {
	c, err := h.running(ref)
	if err != nil {
		return "", err
	}
	pids := containerPids(c.State.Pid)
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	list := make([]string, 0, len(pids))
	for p := range pids {
		list = append(list, p)
	}
	sort.Strings(list)
	out, err := exec.Command("ps", append(append([]string(nil), psArgs...), "-q", strings.Join(list, ","))...).Output()
	if err != nil {
		if out, err = exec.Command("ps", psArgs...).Output(); err != nil {
			return "", fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
		}
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	header := strings.Fields(lines[0])
	pidCol, userCol := -1, -1
	for i, f := range header {
		switch f {
		case "PID":
			pidCol = i
		case "UID", "USER", "EUSER", "RUSER", "RUID", "EUID":
			userCol = i
		}
	}
	if pidCol < 0 {
		return "", fmt.Errorf("ps %s: no PID column", strings.Join(psArgs, " "))
	}
	names := h.containerUserNames(c)
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 1, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, l := range lines[1:] {
		// The last column (the command) may hold spaces.
		f := strings.Fields(l)
		if len(f) > len(header) {
			f = append(f[:len(header)-1], strings.Join(f[len(header)-1:], " "))
		}
		if len(f) <= pidCol || !pids[f[pidCol]] {
			continue
		}
		if userCol >= 0 && userCol < len(f) {
			f[userCol] = names(f[userCol])
		}
		fmt.Fprintln(tw, strings.Join(f, "\t"))
	}
	tw.Flush()
	return b.String(), nil
}

// containerUserNames maps a user as ps shows it (a host name or uid) to
// the container's name for it: the host uid through the container's id
// mapping, then the container's /etc/passwd. What cannot be mapped or
// named is shown as the container's uid, else as ps showed it.
func (h *Hull) containerUserNames(c *container.Container) func(string) string {
	mapping, err := h.MappingFor(c)
	if err != nil {
		return func(s string) string { return s }
	}
	passwd := readContainerFile(c.State.Pid, "/etc/passwd")
	byID := map[int]string{}
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := byID[id]; !dup {
				byID[id] = f[0]
			}
		}
	}
	return func(s string) string {
		hostID, err := strconv.Atoi(s)
		if err != nil {
			u, lerr := user.Lookup(s)
			if lerr != nil {
				return s
			}
			if hostID, err = strconv.Atoi(u.Uid); err != nil {
				return s
			}
		}
		for _, m := range mapping.UIDs {
			if hostID >= m.HostID && hostID < m.HostID+m.Size {
				id := hostID - m.HostID + m.ContainerID
				if name, ok := byID[id]; ok {
					return name
				}
				return strconv.Itoa(id)
			}
		}
		return s
	}
}

// readContainerFile reads a small file of a running container through
// /proc/PID/root, resolved inside that root (RESOLVE_IN_ROOT: a symlink
// in the container cannot lead to a host file); nil when it cannot.
func readContainerFile(pid int, p string) []byte {
	fd, err := openInRoot(fmt.Sprintf("/proc/%d/root", pid), p, unix.O_RDONLY|unix.O_NOFOLLOW)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return b
}
