package container

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// User is a resolved -u/--user: the ids the process runs as.
type User struct {
	UID, GID       int
	AdditionalGIDs []int
	Home           string
}

type passwdEntry struct {
	name     string
	uid, gid int
	home     string
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

// ResolveUser resolves "", "name", "uid", "name:group" or "uid:gid" the way
// runc does for Docker, against /etc/passwd and /etc/group of the image,
// read from its layer directories (topmost first). Supplementary groups come
// from /etc/group membership, and only when no group is given explicitly.
func ResolveUser(spec string, layers []string) (User, error) {
	passwd, err := readLayerFile(layers, "etc/passwd")
	if err != nil {
		return User{}, err
	}
	group, err := readLayerFile(layers, "etc/group")
	if err != nil {
		return User{}, err
	}
	return resolveUser(spec, parsePasswd(passwd), parseGroup(group))
}

func resolveUser(spec string, users []passwdEntry, groups []groupEntry) (User, error) {
	userArg, groupArg, _ := strings.Cut(spec, ":")
	u := User{Home: "/"}
	matched, err := matchUser(userArg, users, &u)
	if err != nil {
		return User{}, err
	}
	if groupArg != "" {
		gid, err := matchGroup(groupArg, groups)
		if err != nil {
			return User{}, err
		}
		u.GID = gid
		return u, nil
	}
	for _, g := range groups {
		for _, m := range g.members {
			if matched != "" && m == matched {
				u.AdditionalGIDs = append(u.AdditionalGIDs, g.gid)
				break
			}
		}
	}
	return u, nil
}

// matchUser fills u from the first passwd entry matching userArg (a number
// is always a uid) and returns its name; a number with no entry is used as
// it is, with gid 0.
func matchUser(userArg string, users []passwdEntry, u *User) (string, error) {
	uid, uidErr := parseID(userArg)
	for _, e := range users {
		if (userArg == "" && e.uid == 0) || (uidErr == nil && e.uid == uid) || (uidErr != nil && e.name == userArg) {
			u.UID, u.GID, u.Home = e.uid, e.gid, e.home
			return e.name, nil
		}
	}
	switch {
	case userArg == "":
		return "", nil
	case uidErr != nil:
		return "", fmt.Errorf("unable to find user %s: no matching entries in passwd file", userArg)
	}
	u.UID = uid
	return "", nil
}

func matchGroup(groupArg string, groups []groupEntry) (int, error) {
	gid, gidErr := parseID(groupArg)
	for _, g := range groups {
		if (gidErr == nil && g.gid == gid) || (gidErr != nil && g.name == groupArg) {
			return g.gid, nil
		}
	}
	if gidErr != nil {
		return 0, fmt.Errorf("unable to find group %s: no matching entries in group file", groupArg)
	}
	return gid, nil
}

func parseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > math.MaxInt32 {
		return 0, fmt.Errorf("invalid id %q", s)
	}
	return int(n), nil
}

func parsePasswd(b []byte) []passwdEntry {
	var out []passwdEntry
	eachLine(b, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid}
		if len(f) > 5 {
			e.home = f[5]
		}
		out = append(out, e)
	})
	return out
}

func parseGroup(b []byte) []groupEntry {
	var out []groupEntry
	eachLine(b, func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := parseID(f[2])
		if err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	})
	return out
}

// eachLine calls fn with the colon-separated fields of every line that is
// neither blank nor a comment.
func eachLine(b []byte, fn func([]string)) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}

// readLayerFile reads the regular file rel (slash-separated, relative) as
// the merged overlay would show it, looking through layers topmost first.
// A whiteout (character device 0/0) on the path or a non-directory in place
// of a parent hides everything below; an opaque parent directory hides the
// layers below it. Anything but a regular file (a symlink, say) counts as
// absent: the file is only read, never followed out of the layer. A missing
// file is not an error: it returns nil.
func readLayerFile(layers []string, rel string) ([]byte, error) {
	parts := strings.Split(rel, "/")
	for _, layer := range layers {
		b, stop, err := readInLayer(layer, parts)
		if err != nil || b != nil || stop {
			return b, err
		}
	}
	return nil, nil
}

// readInLayer looks for parts in one layer. stop says that lower layers
// must not be consulted.
func readInLayer(layer string, parts []string) (b []byte, stop bool, err error) {
	opaque := false
	p := layer
	for i, name := range parts {
		p = filepath.Join(p, name)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, opaque, nil
		}
		if err != nil {
			return nil, true, fmt.Errorf("read image file /%s: %w", strings.Join(parts, "/"), err)
		}
		if isWhiteout(fi) {
			return nil, true, nil
		}
		last := i == len(parts)-1
		switch {
		case last && fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, true, fmt.Errorf("read image file /%s: %w", strings.Join(parts, "/"), err)
			}
			return b, true, nil
		case last || !fi.IsDir():
			return nil, true, nil
		}
		opaque = opaque || isOpaque(p)
	}
	return nil, opaque, nil
}

func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

func isOpaque(dir string) bool {
	buf := make([]byte, 1)
	for _, name := range []string{"user.overlay.opaque", "trusted.overlay.opaque"} {
		if n, err := unix.Lgetxattr(dir, name, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}
