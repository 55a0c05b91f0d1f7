package usernet

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hull-project/hull/isolation/role"
	"github.com/hull-project/hull/plugins/sdk/netsdk/netspec"
	"golang.org/x/sys/unix"
)

// tapMTU is the containers' MTU on a named network: big frames make the
// user-space switch cheap per byte.
const tapMTU = 65520

// message is one request or reply on a network's control socket
// (SOCK_SEQPACKET: one JSON document per packet; an attach carries the
// container's user namespace, network namespace and pidfd as rights).
type message struct {
	Op        string                 `json:"op,omitempty"` // attach, detach, list, resolve, names
	ID        string                 `json:"id,omitempty"`
	Names     []string               `json:"names,omitempty"`
	IP        string                 `json:"ip,omitempty"`
	Interface string                 `json:"interface,omitempty"`
	Error     string                 `json:"error,omitempty"`
	Address   string                 `json:"address,omitempty"` // CIDR
	MAC       string                 `json:"mac,omitempty"`
	Endpoints []netspec.EndpointInfo `json:"endpoints,omitempty"`
	IPs       []string               `json:"ips,omitempty"`
}

// daemon is one network's process.
type daemon struct {
	cfg     netspec.NetworkConfig
	dir     string
	subnet  *net.IPNet
	f       *fabric
	exe     *os.File // hull itself, for the tap helper
	mu      sync.Mutex
	pending int
	wake    chan struct{}
}

// Main is `hull __hull-netd DIR CONFIG`: the process of one named network
// (see the package doc). DIR holds its lock and control socket; CONFIG is
// the network's JSON; fd 3 gets one byte once the socket listens.
func Main(args []string) error {
	if len(args) != 2 {
		return errors.New("netd: want DIR CONFIG")
	}
	var cfg netspec.NetworkConfig
	if err := json.Unmarshal([]byte(args[1]), &cfg); err != nil {
		return fmt.Errorf("netd: config: %w", err)
	}
	_, subnet, err := net.ParseCIDR(cfg.Subnet)
	if err != nil {
		return fmt.Errorf("netd %s: subnet: %w", cfg.Name, err)
	}
	gw := net.ParseIP(cfg.Gateway)
	if gw == nil || gw.To4() == nil {
		return fmt.Errorf("netd %s: gateway %q", cfg.Name, cfg.Gateway)
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("netd %s: %w", cfg.Name, err)
	}
	d := &daemon{cfg: cfg, dir: args[0], subnet: subnet, f: newFabric(gw), exe: exe, wake: make(chan struct{}, 1)}
	if !cfg.DisableDNS {
		r := &resolver{f: d.f, peers: d.askPeers}
		if !cfg.Internal {
			r.upstream = hostNameServers()
		}
		d.f.dns = r.answer
	}
	sock := filepath.Join(d.dir, "ctl.sock")
	_ = os.Remove(sock)
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("netd %s: %w", cfg.Name, err)
	}
	l.SetUnlinkOnClose(false)
	if ready := os.NewFile(3, "ready"); ready != nil {
		_, _ = ready.Write([]byte{1})
		ready.Close()
	}
	go d.accept(l)
	return d.untilEmpty(l, sock)
}

// untilEmpty returns once no container is attached, checked under the
// network's lock (which an attacher holds from connect to reply), so no
// attach can be lost to the exit.
func (d *daemon) untilEmpty(l *net.UnixListener, sock string) error {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-d.wake:
		case <-tick.C:
		}
		if !d.idle() {
			continue
		}
		lock, err := lockDir(d.dir)
		if err != nil {
			return err
		}
		if d.idle() {
			l.Close()
			os.Remove(sock)
			lock.Close()
			return nil
		}
		lock.Close()
	}
}

func (d *daemon) idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	return d.pending == 0 && len(d.f.ports) == 0
}

func (d *daemon) accept(l *net.UnixListener) {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		go d.serveConn(c)
	}
}

func (d *daemon) serveConn(c *net.UnixConn) {
	defer c.Close()
	d.mu.Lock()
	d.pending++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.pending--
		d.mu.Unlock()
		d.poke()
	}()
	for {
		var m message
		fds, err := readMessage(c, &m)
		if err != nil {
			return
		}
		var reply message
		switch m.Op {
		case "attach":
			reply, err = d.attach(m, fds)
		case "detach":
			err = d.detach(m.ID)
		case "list":
			reply.Endpoints = d.list()
		case "resolve":
			reply.IPs = d.resolveFor(m.ID, m.Names)
		case "names":
			err = d.setNames(m.ID, m.Names)
		default:
			err = fmt.Errorf("unknown op %q", m.Op)
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
		if err != nil {
			reply = message{Error: err.Error()}
		}
		if writeMessage(c, reply, nil) != nil {
			return
		}
	}
}

func (d *daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// attach: fds are the container's user namespace, network namespace and
// the pidfd of its init.
func (d *daemon) attach(m message, fds []int) (message, error) {
	if len(fds) != 3 {
		return message{}, errors.New("attach wants 3 descriptors")
	}
	if m.Interface == "" {
		m.Interface = "eth0"
	}
	ip, err := d.allocate(m.ID, m.IP)
	if err != nil {
		return message{}, err
	}
	ones, _ := d.subnet.Mask.Size()
	cidr := ip.String() + "/" + strconv.Itoa(ones)
	mac := macOf(ip)
	tap, err := d.makeTap(fds[0], fds[1], m.Interface, cidr, mac)
	if err != nil {
		d.release(m.ID)
		return message{}, err
	}
	pidfd, err := unix.Dup(fds[2])
	if err != nil {
		tap.Close()
		d.release(m.ID)
		return message{}, err
	}
	p := &port{id: m.ID, names: m.Names, ip: ip, mac: mac, tap: tap, pidfd: pidfd, iface: m.Interface}
	d.f.add(p)
	d.release(m.ID) // the port holds the address now
	go func() {
		// The container's end ends its port.
		pfd := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(pfd, -1); err != unix.EINTR {
				break
			}
		}
		tap.Close()
	}()
	go func() {
		d.f.serve(p)
		tap.Close()
		d.f.remove(p)
		unix.Close(pidfd)
		d.poke()
	}()
	log.Printf("attach %s %s %s", m.ID, cidr, m.Interface)
	return message{Address: cidr, MAC: mac.String(), Interface: m.Interface}, nil
}

// reserved are addresses being attached, not yet in a port.
var reserved = map[string]string{} // ip -> container id

// allocate reserves want (or the next free address) for id.
func (d *daemon) allocate(id, want string) (net.IP, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	used := map[string]bool{d.f.gwIP.String(): true}
	for _, p := range d.f.ports {
		if p.id == id {
			return nil, fmt.Errorf("container %s is already attached", short(id))
		}
		used[p.ip.String()] = true
	}
	for ip := range reserved {
		used[ip] = true
	}
	if want != "" {
		ip := net.ParseIP(want).To4()
		if ip == nil || !d.subnet.Contains(ip) || ip.Equal(d.subnet.IP) || ip.Equal(broadcast(d.subnet)) {
			return nil, fmt.Errorf("address %s is not a host address of %s", want, d.subnet)
		}
		if used[ip.String()] {
			return nil, fmt.Errorf("address %s is in use on network %s", ip, d.cfg.Name)
		}
		reserved[ip.String()] = id
		return ip, nil
	}
	base := binary.BigEndian.Uint32(d.subnet.IP.To4())
	last := binary.BigEndian.Uint32(broadcast(d.subnet))
	for n := base + 1; n < last; n++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, n)
		if !used[ip.String()] {
			reserved[ip.String()] = id
			return ip, nil
		}
	}
	return nil, fmt.Errorf("network %s has no free address", d.cfg.Name)
}

func (d *daemon) release(id string) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	for ip, owner := range reserved {
		if owner == id {
			delete(reserved, ip)
		}
	}
}

func broadcast(n *net.IPNet) net.IP {
	ip := make(net.IP, 4)
	for i := range ip {
		ip[i] = n.IP.To4()[i] | ^n.Mask[i]
	}
	return ip
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (d *daemon) detach(id string) error {
	d.f.mu.Lock()
	p := d.f.ports[id]
	d.f.mu.Unlock()
	if p == nil {
		return fmt.Errorf("container %s is not attached to network %s", short(id), d.cfg.Name)
	}
	p.tap.Close()
	d.f.remove(p)
	return nil
}

// setNames replaces the names an attached container answers to: a pod's
// infra takes the names of the members that join after it.
func (d *daemon) setNames(id string, names []string) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	p := d.f.ports[id]
	if p == nil {
		return fmt.Errorf("container %s is not attached to network %s", short(id), d.cfg.Name)
	}
	p.names = append([]string(nil), names...)
	return nil
}

// resolveFor answers another network's process: the addresses of names
// on this network, for container id only if it is attached here too (a
// container resolves the names of every network it is on, no other).
func (d *daemon) resolveFor(id string, names []string) []string {
	d.f.mu.Lock()
	_, ok := d.f.ports[id]
	d.f.mu.Unlock()
	if !ok || len(names) != 1 {
		return nil
	}
	var out []string
	for _, ip := range (&resolver{f: d.f}).lookup(names[0]) {
		out = append(out, ip.String())
	}
	return out
}

// askPeers asks the other networks' processes (the sibling directories
// of this one) for name on behalf of container id.
func (d *daemon) askPeers(id, name string) []net.IP {
	socks, _ := filepath.Glob(filepath.Join(filepath.Dir(d.dir), "*", "ctl.sock"))
	var out []net.IP
	for _, sock := range socks {
		if filepath.Dir(sock) == filepath.Clean(d.dir) {
			continue
		}
		c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
		if err != nil {
			continue
		}
		reply, err := exchange(c, message{Op: "resolve", ID: id, Names: []string{name}}, nil, time.Second)
		c.Close()
		if err != nil {
			continue
		}
		for _, s := range reply.IPs {
			if ip := net.ParseIP(s).To4(); ip != nil {
				out = append(out, ip)
			}
		}
	}
	return out
}

func (d *daemon) list() []netspec.EndpointInfo {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	ones, _ := d.subnet.Mask.Size()
	out := []netspec.EndpointInfo{}
	for _, p := range d.f.ports {
		out = append(out, netspec.EndpointInfo{ContainerID: p.id, Names: p.names,
			IPAddress: p.ip.String() + "/" + strconv.Itoa(ones), MacAddress: p.mac.String(), Interface: p.iface})
	}
	return out
}

// makeTap runs the tap helper in the container's namespaces and receives
// the device's fd.
func (d *daemon) makeTap(userns, netns int, iface, cidr string, mac net.HardwareAddr) (*os.File, error) {
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return nil, fmt.Errorf("named networks need nsenter (util-linux): %w", err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	mine := os.NewFile(uintptr(pair[0]), "tap socket")
	theirs := os.NewFile(uintptr(pair[1]), "tap socket")
	defer mine.Close()
	cmd := exec.Command(nsenter, "--user=/proc/self/fd/4", "--net=/proc/self/fd/5", "--preserve-credentials",
		"--", "/proc/self/fd/6", role.NetTap, iface, cidr, mac.String(), strconv.Itoa(tapMTU))
	cmd.Env = []string{}
	u, err := dupFile(userns, "userns")
	if err != nil {
		theirs.Close()
		return nil, err
	}
	defer u.Close()
	n, err := dupFile(netns, "netns")
	if err != nil {
		theirs.Close()
		return nil, err
	}
	defer n.Close()
	cmd.ExtraFiles = []*os.File{theirs, u, n, d.exe}
	var stderr tail
	cmd.Stderr = &stderr
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, fmt.Errorf("start nsenter: %w", err)
	}
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, rerr := unix.Recvmsg(int(mine.Fd()), buf, oob, 0)
	werr := cmd.Wait()
	if werr != nil {
		return nil, fmt.Errorf("make %s: %v: %s", iface, werr, stderr.String())
	}
	if rerr != nil {
		return nil, fmt.Errorf("make %s: receive fd: %w", iface, rerr)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("make %s: no fd received", iface)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), iface), nil
}

type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}
func (t *tail) String() string { return string(t.b) }

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		r, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		fds = append(fds, r...)
	}
	return fds, nil
}

// readMessage reads one packet and the descriptors it carries.
func readMessage(c *net.UnixConn, m *message) ([]int, error) {
	buf, oob := make([]byte, 65536), make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("connection closed")
	}
	fds, _ := parseRights(oob[:oobn])
	for _, fd := range fds {
		syscall.CloseOnExec(fd)
	}
	if err := json.Unmarshal(buf[:n], m); err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, err
	}
	return fds, nil
}

func writeMessage(c *net.UnixConn, m message, fds []int) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_, _, err = c.WriteMsgUnix(data, oob, nil)
	return err
}

// lockDir takes the network's lock (DIR/lock, flock).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock network: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock network: %w", err)
	}
	return f, nil
}

func dupFile(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), name), nil
}
