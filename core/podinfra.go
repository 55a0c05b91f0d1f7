package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/lockfile"
	"github.com/hull-project/hull/core/pod"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/child"
	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
	"golang.org/x/sys/unix"
)

// taskPodInfra is the task the infra runs: hull itself as the pause
// process that holds the pod's namespaces.
const taskPodInfra = "pod-infra"

func (h *Hull) podStateDir(id string) string { return filepath.Join(h.RunRoot, "pod-"+id) }

// ensureInfra starts the pod's infra monitor unless it runs, and returns
// the record with the infra's pid. Starts are serialised by a lock of
// their own, so two members starting at once start one infra.
func (h *Hull) ensureInfra(id string) (*pod.Pod, error) {
	store, err := h.pods()
	if err != nil {
		return nil, err
	}
	release, err := lockfile.Lock(filepath.Join(filepath.Dir(store.InfraLock(id)), "start.lock"), "pod "+container.ShortID(id))
	if err != nil {
		return nil, err
	}
	defer release()
	if !store.InfraAlive(id) {
		if err := h.startInfra(id); err != nil {
			return nil, err
		}
	}
	return store.Lookup(id)
}

// startInfra starts the pod's infra monitor in a session of its own and
// returns once the infra runs (or failed to start).
func (h *Hull) startInfra(id string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start pod infra: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(appbin.Helper(), role.Pod, h.Root, id) // the default hull, even from compose/kube
	cmd.Args[0] = "hull"
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start pod infra: %w", err)
	}
	_ = cmd.Process.Release()
	var rep MonitorReport
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("infra monitor exited without a report")
		}
		return fmt.Errorf("start pod %s: %w", container.ShortID(id), err)
	}
	if rep.Error != "" {
		return errors.New(rep.Error)
	}
	return nil
}

// PodMain is the pod infra monitor (role.Pod; argv: store root, pod id):
// it holds the pod's infra lock, starts the infra through core/launch
// with the pod's network and ports, reports on fd 3 (one JSON
// MonitorReport), and stays until the infra ends, which `pod stop` makes
// it do; then it tears the network down. Killed, it takes the infra
// with it (the infra's parent-death signal), and with the infra every
// member, whose pid namespace is the infra's.
func PodMain(args []string) error {
	report := os.NewFile(3, "report")
	if len(args) != 2 {
		return fmt.Errorf("usage: %s ROOT POD", role.Pod)
	}
	h, err := Open(args[0])
	if err != nil {
		return writeReport(report, err)
	}
	return h.runInfra(args[1], report)
}

func writeReport(w *os.File, err error) error {
	rep := MonitorReport{}
	if err != nil {
		rep.Error, rep.Code = err.Error(), ExitHullError
	}
	_ = json.NewEncoder(w).Encode(rep)
	w.Close()
	return err
}

func (h *Hull) runInfra(id string, report *os.File) error {
	signal.Ignore(unix.SIGHUP, unix.SIGINT, unix.SIGPIPE)
	store, err := h.pods()
	if err != nil {
		return writeReport(report, err)
	}
	release, err := store.HoldInfra(id)
	if err != nil {
		return writeReport(report, err)
	}
	defer release()
	p, err := store.Lookup(id)
	if err != nil {
		return writeReport(report, err)
	}
	run, err := h.startInfraProcess(p)
	if err != nil {
		return writeReport(report, err)
	}
	defer run.Close()
	err = store.Modify(id, func(p *pod.Pod) {
		p.Infra = pod.Infra{Pid: run.Pid, StartedAt: time.Now().UTC()}
		if n := run.Network; n != nil {
			p.Infra.IP, p.Infra.Gateway, p.Infra.DNS, p.Infra.Ports = n.IP(), n.Gateway, n.DNS, n.Ports
		}
		if len(p.Named) > 0 {
			// The members' /etc files name the first named network's
			// address and its DNS, as a container's on it would.
			first := p.Named[0].Config
			if ip := h.namedIP(first, p.ID); ip != "" {
				p.Infra.IP = ip
			}
			if run.Network == nil {
				p.Infra.Gateway = first.Gateway
			}
			if !first.DisableDNS && builtinDriver(first.Driver) {
				p.Infra.DNS = []string{first.Gateway}
			}
		}
	})
	if err != nil {
		_ = run.Signal(unix.SIGKILL)
		_, _ = run.Process.Wait()
		return writeReport(report, err)
	}
	_ = writeReport(report, nil)
	_, err = run.Process.Wait()
	_ = store.Modify(id, func(p *pod.Pod) { p.Infra.Pid = 0 })
	return err
}

// startInfraProcess starts the pause task with the pod's hostname in new
// namespaces, with the pod's network and published ports.
func (h *Hull) startInfraProcess(p *pod.Pod) (*launch.Handle, error) {
	stateDir := h.podStateDir(p.ID)
	args, err := json.Marshal(p.Hostname)
	if err != nil {
		return nil, err
	}
	spec := &isolation.Spec{ID: "pod-" + p.ID, Mapping: h.Mapping, Hostname: p.Hostname,
		StateDir: filepath.Join(stateDir, "infra"), Task: &isolation.Task{Name: taskPodInfra, Args: args}}
	mode, err := network.ParseMode(p.Network)
	if err != nil {
		return nil, err
	}
	netw := &launch.Network{Mode: mode, Etc: container.EtcInput{Hostname: p.Hostname, Network: p.Network},
		Options: network.OpenOptions{ContainerID: p.ID, StateDir: stateDir, Ports: p.Ports,
			PluginDirs: plugins.SearchPath(nil)}}
	// The infra joins the pod's named networks as a container would,
	// eth0, eth1...; the members share them with its namespace.
	for i, n := range p.Named {
		netw.Named = append(netw.Named, launch.NamedAttach{Driver: h.driverOf(n.Config), Config: n.Config,
			Endpoint: netspec.Endpoint{ContainerID: p.ID, Names: h.podNames(p, n), Interface: "eth" + strconv.Itoa(i)}})
	}
	return launch.Start(context.Background(), launch.Request{Spec: spec, Network: netw})
}

// podInfra is the infra's task: as PID 1 of the pod's pid namespace it
// sets the pod's hostname, brings up the loopback, reaps the orphans of
// the members (who share its pid namespace) until SIGKILL ends it. It
// reads nothing of the container's tree, and is confined (confineInfra)
// before any member can start.
func podInfra(_ string, _ []string, args json.RawMessage) error {
	var hostname string
	if err := json.Unmarshal(args, &hostname); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", err)
	}
	if err := child.LoopbackUp(); err != nil {
		return err
	}
	if err := confineInfra(); err != nil {
		return fmt.Errorf("confine pod infra: %w", err)
	}
	// A task's start ends when its error pipe closes (isolation's
	// protocol: fd 4, EOF means started); the infra has started once its
	// namespaces are ready, and then stays.
	if err := unix.Close(4); err != nil {
		return fmt.Errorf("report start: %w", err)
	}
	// The members share this pid namespace, where the infra is PID 1: they
	// could send it SIGTERM, but not SIGKILL (the kernel ignores it from
	// inside the namespace). So it heeds no signal but SIGCHLD, and
	// stopInfra ends it with SIGKILL from outside.
	signal.Ignore(unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGCHLD)
	for range sigs {
		for {
			pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
	return nil
}

// confineInfra leaves the infra nothing a member could reach through it.
// The members share its user and pid namespaces, and the infra is PID 1:
// a member given CAP_SYS_PTRACE could read /proc/1/root, /proc/1/mountinfo
// or ptrace it. A task has no root filesystem of its own, so its root
// was the host's. Here it pivots into an empty read-only tmpfs and
// detaches the old root (chroot alone would not do: ".." from
// /proc/1/root walks up to the accessor's root), becomes non-dumpable,
// and drops every capability on every thread (capabilities, the bounding
// set and no_new_privs are per thread, and Go has several).
func confineInfra() error {
	const dir = "/tmp" // any directory: the mount is private to the infra's namespace
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=16k,mode=0700"); err != nil {
		return fmt.Errorf("mount an empty root: %w", err)
	}
	if err := unix.Mkdir(dir+"/old", 0o700); err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	if err := unix.PivotRoot(dir, dir+"/old"); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir: %w", err)
	}
	if err := unix.Unmount("/old", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	if err := unix.Rmdir("/old"); err != nil {
		return fmt.Errorf("rmdir: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("make the root read-only: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("set non-dumpable: %w", err)
	}
	return dropAllCapabilities()
}

// dropAllCapabilities empties the ambient, bounding, effective,
// permitted and inheritable sets of every thread of this process and
// sets no_new_privs on each.
func dropAllCapabilities() error {
	all := func(name string, trap, a1, a2, a3 uintptr) error {
		if _, _, errno := syscall.AllThreadsSyscall(trap, a1, a2, a3); errno != 0 {
			return fmt.Errorf("%s: %w", name, errno)
		}
		return nil
	}
	if err := all("clear ambient capabilities", unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil {
		return err
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := all("drop bounding capability", unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(c), 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return err
		}
	}
	if err := all("set no_new_privs", unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	return all("drop capabilities", unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
}

// namedIP is id's address on network cfg as its driver reports it, or "".
func (h *Hull) namedIP(cfg netspec.NetworkConfig, id string) string {
	eps, err := h.driverOf(cfg).Endpoints(context.Background(), cfg)
	if err != nil {
		return ""
	}
	for _, e := range eps {
		if ip, _, err := net.ParseCIDR(e.IPAddress); err == nil && e.ContainerID == id {
			return ip.String()
		}
	}
	return ""
}
