package network

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pasta's namespace side, set explicitly so that every container gets the
// same addresses as with slirp4netns (pasta would otherwise copy the
// host's).
const (
	pastaIfname  = "eth0"
	pastaIP      = "10.0.2.100"
	pastaAddress = "10.0.2.100/24"
	pastaGateway = "10.0.2.2"
	pastaDNS     = "10.0.2.3"
	pastaMTU     = 65520
)

// PastaDriver runs one pasta (from passt) per container. pasta has no exit
// fd: it runs in the foreground as hull's child with a parent-death signal,
// and Teardown signals it without waiting.
type PastaDriver struct {
	mu   sync.Mutex
	live map[string]*exec.Cmd
}

var _ Driver = (*PastaDriver)(nil)

// NewPasta returns the pasta driver.
func NewPasta() *PastaDriver { return &PastaDriver{live: map[string]*exec.Cmd{}} }

// LookPasta finds the pasta binary.
func LookPasta() (string, error) {
	path, err := exec.LookPath("pasta")
	if err != nil {
		return "", fmt.Errorf("%w: pasta is not installed (install the passt package, or use --network slirp4netns or none)", ErrUnavailable)
	}
	return path, nil
}

// Setup starts pasta on the container's namespaces and waits until its
// interface is up.
func (d *PastaDriver) Setup(ctx context.Context, req Request) (Result, error) {
	if err := checkOptions(Pasta, req.Options, "allow_host_loopback"); err != nil {
		return Result{}, err
	}
	hostLoopback, err := boolOption(req.Options, "allow_host_loopback")
	if err != nil {
		return Result{}, err
	}
	bin, err := LookPasta()
	if err != nil {
		return Result{}, err
	}
	args := []string{"--foreground", "--quiet", "--config-net", "--ns-ifname", pastaIfname,
		"--address", pastaIP, "--netmask", "24", "--gateway", pastaGateway, "--dns-forward", pastaDNS,
		"--mtu", strconv.Itoa(pastaMTU), "--userns", req.UserNS, "--netns", req.NetNS}
	if !hostLoopback {
		args = append(args, "--no-map-gw")
	}
	for _, p := range req.Ports {
		flag := "-t"
		if p.Protocol == "udp" {
			flag = "-u"
		}
		spec := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if p.HostIP != "" {
			spec = p.HostIP + "/" + spec
		}
		args = append(args, flag, spec)
	}
	if len(req.Ports) == 0 {
		args = append(args, "-t", "none", "-u", "none")
	}
	args = append(args, "-T", "none", "-U", "none")
	cmd := exec.Command(bin, args...)
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr, cmd.Stdout = stderr, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start pasta: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := waitInterface(ctx, req.Pid, pastaIfname, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return Result{}, fmt.Errorf("pasta: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	d.mu.Lock()
	d.live[req.ContainerID] = cmd
	d.mu.Unlock()
	return Result{Interface: pastaIfname, Address: pastaAddress, Gateway: pastaGateway,
		DNS: []string{pastaDNS}, MTU: pastaMTU, Ports: req.Ports}, nil
}

// Teardown stops pasta; it is reaped in the background.
func (d *PastaDriver) Teardown(ctx context.Context, containerID string) error {
	d.mu.Lock()
	cmd := d.live[containerID]
	delete(d.live, containerID)
	d.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	return cmd.Process.Signal(syscall.SIGTERM)
}

// waitInterface polls the namespace of pid until ifname is up with an
// address route, or pasta exits, or the deadline passes.
func waitInterface(ctx context.Context, pid int, ifname string, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if up(pid, ifname) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before the network was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Microsecond):
		}
	}
	return fmt.Errorf("%s did not come up within %s", ifname, readyTimeout)
}

// up reports whether ifname has a default route in pid's namespace: pasta
// adds it last, after the address.
func up(pid int, ifname string) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/route", pid))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 2 && fields[0] == ifname && fields[1] == "00000000" {
			return true
		}
	}
	return false
}
