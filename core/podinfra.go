package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/launch"
	"github.com/hull-project/hull/core/lockfile"
	"github.com/hull-project/hull/core/pod"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/isolation/child"
	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/network"
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
	cmd := exec.Command("/proc/self/exe", role.Pod, h.Root, id)
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
	return launch.Start(context.Background(), launch.Request{Spec: spec, Network: netw})
}

// podInfra is the infra's task: as PID 1 of the pod's pid namespace it
// sets the pod's hostname, brings up the loopback, reaps the orphans of
// the members (who share its pid namespace) and exits on SIGTERM or
// SIGINT. It reads nothing of the container's tree.
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
	// A task's start ends when its error pipe closes (isolation's
	// protocol: fd 4, EOF means started); the infra has started once its
	// namespaces are ready, and then stays.
	if err := unix.Close(4); err != nil {
		return fmt.Errorf("report start: %w", err)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGCHLD)
	for sig := range sigs {
		if sig != unix.SIGCHLD {
			return nil
		}
		for {
			pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
	return nil
}
