package usernet

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
	"golang.org/x/sys/unix"
)

// Name is the driver's name in a network's config.
const Name = "hull"

// Driver is the built-in NetworkDriver. RunDir holds one directory per
// network with a container attached ($RUNROOT/networks).
type Driver struct {
	RunDir string
	// Log is where a network process writes (default DIR/netd.log).
	Log string
}

var _ netspec.NetworkDriver = (*Driver)(nil)

// Create checks cfg and fills in the gateway (the subnet's first host).
func (d *Driver) Create(_ context.Context, cfg netspec.NetworkConfig) (netspec.NetworkConfig, error) {
	ip, subnet, err := net.ParseCIDR(cfg.Subnet)
	if err != nil || ip.To4() == nil {
		return cfg, fmt.Errorf("subnet %q: want an IPv4 CIDR", cfg.Subnet)
	}
	if ones, _ := subnet.Mask.Size(); ones > 29 || ones < 8 {
		return cfg, fmt.Errorf("subnet %s: want a prefix of /8 to /29", subnet)
	}
	cfg.Subnet = subnet.String()
	if cfg.Gateway == "" {
		gw := make(net.IP, 4)
		binary.BigEndian.PutUint32(gw, binary.BigEndian.Uint32(subnet.IP.To4())+1)
		cfg.Gateway = gw.String()
	}
	gw := net.ParseIP(cfg.Gateway).To4()
	if gw == nil || !subnet.Contains(gw) || gw.Equal(subnet.IP) || gw.Equal(broadcast(subnet)) {
		return cfg, fmt.Errorf("gateway %q: want a host address of %s", cfg.Gateway, subnet)
	}
	cfg.Gateway = gw.String()
	if len(cfg.Options) > 0 {
		return cfg, fmt.Errorf("network driver %s takes no options", Name)
	}
	cfg.Driver = Name
	return cfg, nil
}

// Remove removes the network's run directory; hull calls it with no
// container attached.
func (d *Driver) Remove(_ context.Context, cfg netspec.NetworkConfig) error {
	dir := d.dir(cfg)
	if c, err := d.dial(dir); err == nil {
		c.Close()
		return fmt.Errorf("network %s is in use", cfg.Name)
	}
	_ = os.Remove(filepath.Join(dir, "ctl.sock"))
	_ = os.Remove(filepath.Join(dir, "lock"))
	_ = os.Remove(filepath.Join(dir, "netd.log"))
	_ = os.Remove(dir)
	return nil
}

// Attach connects the container (its init, ep.Pid, a child of this
// process or still running) to the network, starting the network's
// process if none runs.
func (d *Driver) Attach(ctx context.Context, cfg netspec.NetworkConfig, ep netspec.Endpoint) (netspec.Result, error) {
	dir := d.dir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return netspec.Result{}, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	// Descriptors first: the pid is a live, unreaped child, so they name
	// its namespaces whatever happens next.
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, ns := range []string{"user", "net"} {
		fd, err := unix.Open("/proc/"+strconv.Itoa(ep.Pid)+"/ns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return netspec.Result{}, fmt.Errorf("network %s: open %s namespace: %w", cfg.Name, ns, err)
		}
		fds = append(fds, fd)
	}
	pidfd, err := unix.PidfdOpen(ep.Pid, 0)
	if err != nil {
		return netspec.Result{}, fmt.Errorf("network %s: pidfd: %w", cfg.Name, err)
	}
	fds = append(fds, pidfd)
	lock, err := lockDir(dir)
	if err != nil {
		return netspec.Result{}, err
	}
	defer lock.Close()
	c, err := d.dial(dir)
	if err != nil {
		if c, err = d.start(dir, cfg); err != nil {
			return netspec.Result{}, err
		}
	}
	defer c.Close()
	reply, err := roundTrip(c, message{Op: "attach", ID: ep.ContainerID, Names: ep.Names, IP: ep.IP, Interface: ep.Interface}, fds)
	if err != nil {
		return netspec.Result{}, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	res := netspec.Result{Interface: reply.Interface, Address: reply.Address, Gateway: cfg.Gateway, MTU: tapMTU}
	if !cfg.DisableDNS {
		res.DNS = []string{cfg.Gateway}
	}
	return res, nil
}

// Detach disconnects the container; a network with no process has nothing
// attached.
func (d *Driver) Detach(_ context.Context, cfg netspec.NetworkConfig, containerID string) error {
	c, err := d.dial(d.dir(cfg))
	if err != nil {
		return fmt.Errorf("container %s is not attached to network %s", short(containerID), cfg.Name)
	}
	defer c.Close()
	_, err = roundTrip(c, message{Op: "detach", ID: containerID}, nil)
	return err
}

// SetNames replaces the names an attached container answers to on the
// network's DNS (a pod's infra: its members' names as they join). It is
// hull's own, beyond the contract: a plugin's endpoint keeps the names
// it was attached with.
func (d *Driver) SetNames(_ context.Context, cfg netspec.NetworkConfig, containerID string, names []string) error {
	c, err := d.dial(d.dir(cfg))
	if err != nil {
		return fmt.Errorf("container %s is not attached to network %s", short(containerID), cfg.Name)
	}
	defer c.Close()
	_, err = roundTrip(c, message{Op: "names", ID: containerID, Names: names}, nil)
	return err
}

// Endpoints lists the attached containers (none when no process runs).
func (d *Driver) Endpoints(_ context.Context, cfg netspec.NetworkConfig) ([]netspec.EndpointInfo, error) {
	c, err := d.dial(d.dir(cfg))
	if err != nil {
		return []netspec.EndpointInfo{}, nil
	}
	defer c.Close()
	reply, err := roundTrip(c, message{Op: "list"}, nil)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	return reply.Endpoints, nil
}

// dir is the network's run directory, named by its id (two stores may
// have networks of one name), short enough for a socket path.
func (d *Driver) dir(cfg netspec.NetworkConfig) string {
	id := cfg.ID
	if len(id) > 16 {
		id = id[:16]
	}
	if id == "" {
		id = cfg.Name
	}
	return filepath.Join(d.RunDir, id)
}

// Running reports whether the network's process runs.
func (d *Driver) Running(cfg netspec.NetworkConfig) bool {
	c, err := d.dial(d.dir(cfg))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (d *Driver) dial(dir string) (*net.UnixConn, error) {
	return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: filepath.Join(dir, "ctl.sock"), Net: "unixpacket"})
}

// start starts the network's process, in a session of its own (it
// outlives this command), and connects once it listens.
func (d *Driver) start(dir string, cfg netspec.NetworkConfig) (*net.UnixConn, error) {
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	logPath := d.Log
	if logPath == "" {
		logPath = filepath.Join(dir, "netd.log")
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", cfg.Name, err)
	}
	defer logf.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	cmd := exec.Command(exe, role.NetD, dir, string(data))
	cmd.Dir = "/"
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return nil, fmt.Errorf("network %s: start its process: %w", cfg.Name, err)
	}
	go cmd.Wait() //nolint:errcheck // it outlives us or reports in its log
	_ = readyR.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := readyR.Read(make([]byte, 1)); err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("network %s: its process did not start (see %s): %w", cfg.Name, logPath, err)
	}
	return d.dial(dir)
}

func roundTrip(c *net.UnixConn, m message, fds []int) (message, error) {
	return exchange(c, m, fds, 30*time.Second)
}

func exchange(c *net.UnixConn, m message, fds []int, timeout time.Duration) (message, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if err := writeMessage(c, m, fds); err != nil {
		return message{}, err
	}
	var reply message
	if _, err := readMessage(c, &reply); err != nil {
		return message{}, err
	}
	if reply.Error != "" {
		return message{}, errors.New(reply.Error)
	}
	return reply, nil
}
