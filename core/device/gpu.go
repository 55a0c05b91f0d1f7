package device

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hull-project/hull/isolation"
)

// The container paths of a GPU's driver files: where NVIDIA's CUDA
// images already look (their PATH and LD_LIBRARY_PATH list them).
const (
	GPULibDir = "/usr/local/nvidia/lib64"
	GPUBinDir = "/usr/local/nvidia/bin"
)

// gpuLibraries are the NVIDIA driver's user-space libraries, by their
// name before the version (Apptainer's nvliblist.conf, the libraries that
// must match the host's kernel module).
var gpuLibraries = []string{
	"libcuda.so", "libcudadebugger.so", "libEGL_nvidia.so", "libGLESv1_CM_nvidia.so",
	"libGLESv2_nvidia.so", "libGLX_nvidia.so", "libnvcuvid.so", "libnvidia-allocator.so",
	"libnvidia-cfg.so", "libnvidia-compiler.so", "libnvidia-eglcore.so", "libnvidia-egl-wayland.so",
	"libnvidia-encode.so", "libnvidia-fatbinaryloader.so", "libnvidia-fbc.so", "libnvidia-glcore.so",
	"libnvidia-glsi.so", "libnvidia-glvkspirv.so", "libnvidia-gpucomp.so", "libnvidia-ifr.so",
	"libnvidia-ml.so", "libnvidia-ngx.so", "libnvidia-nscq.so", "libnvidia-nvvm.so",
	"libnvidia-opencl.so", "libnvidia-opticalflow.so", "libnvidia-pkcs11.so",
	"libnvidia-pkcs11-openssl3.so", "libnvidia-ptxjitcompiler.so", "libnvidia-rtcore.so",
	"libnvidia-tls.so", "libnvidia-wfb.so", "libnvoptix.so", "libOpenCL.so", "libvdpau_nvidia.so",
}

// gpuBinaries are the driver's programs a container may run.
var gpuBinaries = []string{
	"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server",
}

// gpuLibDirs are looked in beside the ld cache: a driver installed outside
// it (as on GPU machines that mount it under /usr/local/nvidia).
var gpuLibDirs = []string{
	"/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/x86_64-linux-gnu/nvidia/current",
	"/usr/lib/aarch64-linux-gnu/nvidia/current", "/usr/lib64/nvidia", "/usr/lib/nvidia",
}

var gpuBinDirs = []string{"/usr/local/nvidia/bin", "/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin", "/sbin"}

// gpuControlNodes are the nodes every GPU needs; nvidia-caps holds MIG's.
var gpuControlNodes = []string{"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"}

var gpuNode = regexp.MustCompile(`^nvidia([0-9]+)$`)

// GPUs is what hull's own discovery found on a host.
type GPUs struct {
	Indexes  []int             // the N of each /dev/nvidiaN, in order
	Control  []string          // control nodes present, host paths (/dev/...)
	Caps     []string          // /dev/nvidia-caps/* present
	Libs     map[string]string // library name -> host file
	Binaries map[string]string // program name -> host file
}

// DiscoverGPUs looks for NVIDIA's nodes, libraries and programs, as
// Apptainer's --nv does.
func DiscoverGPUs(h Host) GPUs {
	g := GPUs{Libs: map[string]string{}, Binaries: map[string]string{}}
	if entries, err := os.ReadDir(h.hostPath("/dev")); err == nil {
		for _, e := range entries {
			if m := gpuNode.FindStringSubmatch(e.Name()); m != nil {
				n, _ := strconv.Atoi(m[1])
				g.Indexes = append(g.Indexes, n)
			}
		}
	}
	sort.Ints(g.Indexes)
	for _, n := range gpuControlNodes {
		if _, err := os.Stat(h.hostPath("/dev/" + n)); err == nil {
			g.Control = append(g.Control, "/dev/"+n)
		}
	}
	if entries, err := os.ReadDir(h.hostPath("/dev/nvidia-caps")); err == nil {
		for _, e := range entries {
			g.Caps = append(g.Caps, "/dev/nvidia-caps/"+e.Name())
		}
	}
	h.findLibs(g.Libs)
	for _, b := range gpuBinaries {
		for _, d := range gpuBinDirs {
			p := path.Join(d, b)
			if fi, err := os.Stat(h.hostPath(p)); err == nil && fi.Mode().IsRegular() {
				g.Binaries[b] = p
				break
			}
		}
	}
	return g
}

// findLibs fills libs from the ld cache, then from the usual directories;
// the first found of a name wins.
func (h Host) findLibs(libs map[string]string) {
	ld := h.LDCache
	if ld == nil {
		ld = runLDConfig
	}
	if out, err := ld(); err == nil {
		for name, p := range parseLDCache(out, runtime.GOARCH) {
			if isGPULibrary(name) {
				libs[name] = p
			}
		}
	}
	for _, d := range gpuLibDirs {
		entries, err := os.ReadDir(h.hostPath(d))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if _, ok := libs[e.Name()]; !ok && isGPULibrary(e.Name()) {
				libs[e.Name()] = path.Join(d, e.Name())
			}
		}
	}
}

func runLDConfig() ([]byte, error) {
	for _, p := range []string{"/sbin/ldconfig", "/usr/sbin/ldconfig", "/sbin/ldconfig.real"} {
		if _, err := os.Stat(p); err == nil {
			return exec.Command(p, "-p").Output()
		}
	}
	return exec.Command("ldconfig", "-p").Output()
}

// parseLDCache reads `ldconfig -p`: "\tNAME (FLAGS) => PATH" lines, keeping
// the entries of this architecture's word size (a 32-bit library cannot
// serve a 64-bit program).
func parseLDCache(out []byte, goarch string) map[string]string {
	want := map[string]string{"amd64": "x86-64", "arm64": "AArch64", "ppc64le": "64bit"}[goarch]
	libs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		left, p, ok := strings.Cut(line, " => ")
		if !ok {
			continue
		}
		name, flags, _ := strings.Cut(left, " (")
		if want != "" && !strings.Contains(flags, want) {
			continue
		}
		if _, seen := libs[name]; !seen {
			libs[name] = strings.TrimSpace(p)
		}
	}
	return libs
}

func isGPULibrary(name string) bool {
	for _, l := range gpuLibraries {
		if name == l || strings.HasPrefix(name, l+".") {
			return true
		}
	}
	return false
}

// ErrNoGPU is returned for --gpus on a host without NVIDIA GPUs.
var ErrNoGPU = errors.New("no NVIDIA GPU on this host")

// addGPUs adds --gpus: through the nvidia.com/gpu CDI spec when one
// exists, else through discovery.
func (h Host) addGPUs(p *Plan, req GPURequest, specDirs []string) error {
	reg, err := openSpecs(specDirs)
	if errors.Is(err, ErrNeedsFullHull) {
		// Whether the spec serves the request is the library's to say.
		return fmt.Errorf("--gpus: %w", err)
	}
	if err == nil && hasKind(reg, "nvidia.com/gpu") {
		names, err := gpuNames(reg, req)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := reg.apply(p, n); err != nil {
				return err
			}
		}
		return nil
	}
	g := DiscoverGPUs(h)
	return h.addDiscovered(p, g, req)
}

// addDiscovered binds the chosen GPUs' nodes, the control nodes and the
// driver's libraries and programs (read-only), and sets
// NVIDIA_VISIBLE_DEVICES as NVIDIA's runtime does.
func (h Host) addDiscovered(p *Plan, g GPUs, req GPURequest) error {
	if len(g.Indexes) == 0 || !slices.Contains(g.Control, "/dev/nvidiactl") {
		return fmt.Errorf("--gpus: %w (no /dev/nvidia0 and /dev/nvidiactl, and no nvidia.com/gpu CDI spec)", ErrNoGPU)
	}
	var chosen []int
	switch {
	case req.Count < 0:
		chosen = g.Indexes
	case len(req.DeviceIDs) > 0:
		for _, id := range req.DeviceIDs {
			n, err := strconv.Atoi(id)
			if err != nil {
				return fmt.Errorf("--gpus device=%s: hull's own GPU discovery knows GPUs by index; a UUID needs the nvidia.com/gpu CDI spec (nvidia-ctk cdi generate)", id)
			}
			if !slices.Contains(g.Indexes, n) {
				return fmt.Errorf("--gpus device=%s: no /dev/nvidia%d on this host", id, n)
			}
			chosen = append(chosen, n)
		}
	default:
		if req.Count > len(g.Indexes) {
			return fmt.Errorf("--gpus %d: this host has %d NVIDIA GPUs", req.Count, len(g.Indexes))
		}
		chosen = g.Indexes[:req.Count]
	}
	if g.Libs["libcuda.so.1"] == "" && !hasPrefixed(g.Libs, "libnvidia-ml.so") {
		return fmt.Errorf("--gpus: the NVIDIA driver's libraries (libcuda.so.1, libnvidia-ml.so.1) are neither in the ld cache (ldconfig -p) nor in %s", strings.Join(gpuLibDirs, ", "))
	}
	nodes := slices.Clone(g.Control)
	for _, n := range chosen {
		nodes = append(nodes, fmt.Sprintf("/dev/nvidia%d", n))
	}
	nodes = append(nodes, g.Caps...)
	for _, n := range nodes {
		src := h.hostPath(n)
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("--gpus: device %s: %w", n, notFound(err))
		}
		// Discovery's nodes are the kernel's; a fake tree in tests has
		// files, so only the access is checked. MIG capability nodes
		// the user cannot read are left out, as they are for a user
		// on the host.
		if err := checkAccess(src, n, fi, "rw"); err != nil {
			if strings.HasPrefix(n, "/dev/nvidia-caps/") {
				continue
			}
			return fmt.Errorf("--gpus: %w", err)
		}
		p.Mounts = append(p.Mounts, nodeMount(src, n))
	}
	for _, name := range sortedKeys(g.Libs) {
		p.Mounts = append(p.Mounts, h.driverFile(g.Libs[name], path.Join(GPULibDir, name)))
	}
	for _, name := range sortedKeys(g.Binaries) {
		p.Mounts = append(p.Mounts, h.driverFile(g.Binaries[name], path.Join(GPUBinDir, name)))
	}
	visible := "all"
	if req.Count >= 0 {
		var ids []string
		for _, n := range chosen {
			ids = append(ids, strconv.Itoa(n))
		}
		visible = strings.Join(ids, ",")
	}
	p.Env = append(p.Env, "NVIDIA_VISIBLE_DEVICES="+visible)
	p.LibraryDirs = appendNew(p.LibraryDirs, GPULibDir)
	p.PathDirs = appendNew(p.PathDirs, GPUBinDir)
	return nil
}

// driverFile binds a host driver file read-only at dst. The link a
// library name often is on the host is resolved first: the container
// gets a file under every name (libcuda.so.1 and libcuda.so.550.x), so
// no link has to exist or be made there.
func (h Host) driverFile(hostFile, dst string) isolation.Mount {
	src := h.hostPath(hostFile)
	if real, err := filepath.EvalSymlinks(src); err == nil {
		src = real
	}
	return isolation.Mount{Type: "bind", Source: src, Destination: dst, Options: []string{"ro"}}
}

func hasPrefixed(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
