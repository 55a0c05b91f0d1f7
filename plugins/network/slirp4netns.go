package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rootless-containers/rootlesskit/v2/pkg/port"
	slirpport "github.com/rootless-containers/rootlesskit/v2/pkg/port/slirp4netns"
)

// slirp4netns's fixed addresses with --configure and no --cidr.
const (
	slirpTap     = "tap0"
	slirpAddress = "10.0.2.100/24"
	slirpIP      = "10.0.2.100"
	slirpGateway = "10.0.2.2"
	slirpDNS     = "10.0.2.3"
	slirpMTU     = 65520
	readyTimeout = 10 * time.Second
)

// Slirp4netnsDriver runs one slirp4netns per container.
type Slirp4netnsDriver struct {
	mu   sync.Mutex
	live map[string]*slirpNet
}

var _ Driver = (*Slirp4netnsDriver)(nil)

// slirpNet is one running slirp4netns. Closing exitW makes it exit.
type slirpNet struct {
	cmd   *exec.Cmd
	exitW *os.File
}

// NewSlirp4netns returns the slirp4netns driver.
func NewSlirp4netns() *Slirp4netnsDriver {
	return &Slirp4netnsDriver{live: map[string]*slirpNet{}}
}

// LookSlirp4netns finds the slirp4netns binary, with an error that says
// what to install and what to use instead.
func LookSlirp4netns() (string, error) {
	path, err := exec.LookPath("slirp4netns")
	if err != nil {
		return "", fmt.Errorf("%w: slirp4netns is not installed (install the slirp4netns package, or use --network none or --network host)", ErrUnavailable)
	}
	return path, nil
}

// Setup starts slirp4netns on the container's namespaces and publishes
// the requested ports.
func (d *Slirp4netnsDriver) Setup(ctx context.Context, req Request) (Result, error) {
	if err := checkOptions(Slirp4netns, req.Options, "allow_host_loopback", "mtu"); err != nil {
		return Result{}, err
	}
	hostLoopback, err := boolOption(req.Options, "allow_host_loopback")
	if err != nil {
		return Result{}, err
	}
	mtu := slirpMTU
	if v, ok := req.Options["mtu"]; ok {
		if mtu, err = strconv.Atoi(v); err != nil || mtu < 1280 || mtu > 65520 {
			return Result{}, fmt.Errorf("network option mtu=%q: want 1280-65520", v)
		}
	}
	bin, err := LookSlirp4netns()
	if err != nil {
		return Result{}, err
	}
	sock := ""
	if len(req.Ports) > 0 {
		sock = filepath.Join(req.StateDir, "slirp.sock")
	}
	sn, err := startSlirp(bin, req, mtu, hostLoopback, sock)
	if err != nil {
		return Result{}, err
	}
	d.mu.Lock()
	d.live[req.ContainerID] = sn
	d.mu.Unlock()
	res := Result{Interface: slirpTap, Address: slirpAddress, Gateway: slirpGateway, DNS: []string{slirpDNS}, MTU: mtu}
	if res.Ports, err = publishSlirp(ctx, sock, req.Ports); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Teardown closes the exit fd: slirp4netns exits by itself and is reaped
// in the background, so the caller's exit path never waits for it.
func (d *Slirp4netnsDriver) Teardown(ctx context.Context, containerID string) error {
	d.mu.Lock()
	sn := d.live[containerID]
	delete(d.live, containerID)
	d.mu.Unlock()
	if sn == nil {
		return nil
	}
	err := sn.exitW.Close()
	go sn.cmd.Wait() //nolint:errcheck // its exit status says nothing we act on
	return err
}

// startSlirp starts slirp4netns and waits until tap0 is configured. It
// runs in its own process group, so a ^C at the terminal reaches the
// container through hull, not the network.
func startSlirp(bin string, req Request, mtu int, hostLoopback bool, sock string) (*slirpNet, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("slirp4netns ready pipe: %w", err)
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return nil, fmt.Errorf("slirp4netns exit pipe: %w", err)
	}
	// The sandbox (its own mount namespace, pivoted into an empty root
	// with only /etc and /run, no capabilities) and the seccomp filter
	// confine slirp4netns, which parses every packet the container sends.
	// The sandbox needs root in the container's user namespace, which
	// slirp4netns joins through /proc/PID/ns/user only when it is given
	// the pid, not a netns path. The pid is the container's init, a child
	// not yet reaped, so it cannot name another process meanwhile.
	args := []string{"--configure", "--mtu=" + strconv.Itoa(mtu), "--ready-fd=3", "--exit-fd=4",
		"--userns-path=" + req.UserNS, "--enable-sandbox", "--enable-seccomp"}
	if !hostLoopback {
		args = append(args, "--disable-host-loopback")
	}
	if sock != "" {
		args = append(args, "--api-socket", sock)
	}
	args = append(args, strconv.Itoa(req.Pid), slirpTap)
	cmd := exec.Command(bin, args...)
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return nil, fmt.Errorf("start slirp4netns: %w", err)
	}
	sn := &slirpNet{cmd: cmd, exitW: exitW}
	if err := waitReady(readyR); err != nil {
		exitW.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("slirp4netns: %w: %s", err, stderr.String())
	}
	return sn, nil
}

// waitReady reads slirp4netns's ready byte. EOF means it exited first.
func waitReady(r *os.File) error {
	_ = r.SetReadDeadline(time.Now().Add(readyTimeout))
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("exited before the network was ready")
		}
		return fmt.Errorf("wait for ready: %w", err)
	}
	return nil
}

// publishSlirp adds one host forward per mapping through rootlesskit's
// slirp4netns port driver.
func publishSlirp(ctx context.Context, sock string, ports []PortMapping) ([]PortMapping, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	drv, err := slirpport.NewParentDriver(io.Discard, sock)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		spec := port.Spec{Proto: p.Protocol + "4", ParentIP: p.HostIP, ParentPort: p.HostPort, ChildPort: p.ContainerPort, ChildIP: slirpIP}
		if _, err := drv.AddPort(ctx, spec); err != nil {
			return nil, fmt.Errorf("publish %s on host %s/%s: %w (%v)", p.Key(), p.String(), p.Protocol, ErrPortBusy, err)
		}
	}
	return ports, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
