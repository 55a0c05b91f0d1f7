package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/isolation"
)

// Request is what one container asks for.
type Request struct {
	Nodes []Node      // --device HOST[:CONTAINER][:PERMISSIONS]
	CDI   []string    // --device vendor.com/class=name
	GPUs  *GPURequest // --gpus
	// SpecDirs are the CDI spec directories, lowest priority first; nil
	// for DefaultSpecDirs.
	SpecDirs []string
}

// Empty reports whether r asks for nothing.
func (r Request) Empty() bool {
	return len(r.Nodes) == 0 && len(r.CDI) == 0 && r.GPUs == nil
}

// UsesCDI reports whether r asks for CDI devices or GPUs (which come
// through the nvidia.com/gpu CDI spec when there is one): what only a
// hull that links the CDI library resolves (CDILinked).
func (r Request) UsesCDI() bool {
	return len(r.CDI) > 0 || r.GPUs != nil
}

// Plan is what a request adds to a container's launch spec.
type Plan struct {
	Mounts []isolation.Mount
	// Env are KEY=VALUE settings that replace the container's.
	Env []string
	// PathDirs and LibraryDirs are appended to the container's PATH and
	// LD_LIBRARY_PATH (GPU driver binaries and libraries).
	PathDirs, LibraryDirs []string
	// GIDs are supplementary groups a CDI spec asks for.
	GIDs []int
	// Warnings are what was asked but not done (CDI hooks).
	Warnings []string
}

// Apply adds p to spec: the device mounts after the user's volumes (a
// device replaces whatever a volume put at its path), the environment
// over the image's, the groups beside the user's.
func (p *Plan) Apply(spec *isolation.Spec) {
	spec.Mounts = append(spec.Mounts, p.Mounts...)
	for _, kv := range p.Env {
		spec.Env = setEnv(spec.Env, kv)
	}
	spec.Env = appendListEnv(spec.Env, "PATH", p.PathDirs)
	spec.Env = appendListEnv(spec.Env, "LD_LIBRARY_PATH", p.LibraryDirs)
	for _, g := range p.GIDs {
		if !slices.Contains(spec.AdditionalGIDs, g) {
			spec.AdditionalGIDs = append(spec.AdditionalGIDs, g)
		}
	}
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			out := slices.Clone(env)
			out[i] = kv
			return out
		}
	}
	return append(env, kv)
}

// appendListEnv adds dirs missing from the colon list key.
func appendListEnv(env []string, key string, dirs []string) []string {
	if len(dirs) == 0 {
		return env
	}
	var cur string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, key+"="); ok {
			cur = v
		}
	}
	list := strings.Split(cur, ":")
	if cur == "" {
		list = nil
	}
	for _, d := range dirs {
		if !slices.Contains(list, d) {
			list = append(list, d)
		}
	}
	return setEnv(env, key+"="+strings.Join(list, ":"))
}

// Host is where hull's own GPU discovery and --device look: the real
// host, or a fake tree in tests. CDI specs name host paths themselves.
type Host struct {
	// Root prefixes every host path ("" for the host itself).
	Root string
	// LDCache returns `ldconfig -p` output (nil: run ldconfig).
	LDCache func() ([]byte, error)
}

// hostPath is p on this host.
func (h Host) hostPath(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, p)
}

// Resolve checks every requested device on the host and returns the plan,
// or one error naming the first device that cannot be given.
func Resolve(req Request, h Host) (*Plan, error) {
	p := &Plan{}
	for _, n := range req.Nodes {
		if err := h.addNode(p, n); err != nil {
			return nil, err
		}
	}
	if len(req.CDI) > 0 {
		reg, err := openSpecs(req.SpecDirs)
		if err != nil {
			return nil, fmt.Errorf("CDI device %s: %w", req.CDI[0], err)
		}
		for _, name := range req.CDI {
			if err := reg.apply(p, name); err != nil {
				return nil, err
			}
		}
	}
	if req.GPUs != nil {
		if err := h.addGPUs(p, *req.GPUs, req.SpecDirs); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addNode adds one --device: a node, or every node under a directory
// (Docker's --device /dev/dri), each checked to be a device the user may
// open as its permissions ask.
func (h Host) addNode(p *Plan, n Node) error {
	src := h.hostPath(n.PathOnHost)
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("device %s: %w", n.PathOnHost, notFound(err))
	}
	if !fi.IsDir() {
		if err := checkNode(src, n.PathOnHost, fi, n.CgroupPermissions); err != nil {
			return err
		}
		p.Mounts = append(p.Mounts, nodeMount(src, n.PathInContainer))
		return nil
	}
	found := 0
	err = filepath.WalkDir(src, func(p2 string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // an unreadable subdirectory has nothing we may open
		}
		fi, err := os.Stat(p2)
		if err != nil || fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		rel, _ := filepath.Rel(src, p2)
		hostName := path.Join(n.PathOnHost, filepath.ToSlash(rel))
		if err := checkNode(p2, hostName, fi, n.CgroupPermissions); err != nil {
			return err
		}
		p.Mounts = append(p.Mounts, nodeMount(p2, path.Join(n.PathInContainer, filepath.ToSlash(rel))))
		found++
		return nil
	})
	if err != nil {
		return err
	}
	if found == 0 {
		return fmt.Errorf("device %s: a directory without device nodes", n.PathOnHost)
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("no such device on this host")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkNode refuses what is not a device node, and a node the user cannot
// open for the access the permissions ask ("r", "w"; "m", mknod, means
// nothing to a bind-mounted node): the container could not open it either,
// and finding out inside is worse.
func checkNode(hostPath, name string, fi fs.FileInfo, perms string) error {
	if fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
		return fmt.Errorf("device %s: not a device node", name)
	}
	return checkAccess(hostPath, name, fi, perms)
}

func checkAccess(hostPath, name string, fi fs.FileInfo, perms string) error {
	var mode uint32
	if strings.Contains(perms, "r") {
		mode |= unix.R_OK
	}
	if strings.Contains(perms, "w") {
		mode |= unix.W_OK
	}
	if mode == 0 {
		return nil
	}
	if err := unix.Access(hostPath, mode); err != nil {
		return fmt.Errorf("device %s: %s cannot open it (mode %04o%s): a rootless container gets only the devices its user can open",
			name, currentUser(), fi.Mode().Perm(), owner(fi))
	}
	return nil
}

func currentUser() string {
	return fmt.Sprintf("uid %d", os.Getuid())
}

func owner(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf(", owner %d:%d", st.Uid, st.Gid)
	}
	return ""
}

// nodeMount binds a host node at a container path. Read-only would not
// help (a read-only mount does not stop writes to a device) and nodev is
// what a device bind must not have.
func nodeMount(src, dst string) isolation.Mount {
	return isolation.Mount{Type: "bind", Source: src, Destination: dst}
}
