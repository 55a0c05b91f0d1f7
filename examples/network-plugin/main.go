// Command hull-net-subnet is an example hull network plugin: a user-mode
// network (slirp4netns) on the subnet and with the name server you choose,
//
//	hull run --network subnet:cidr=10.99.0.0/24,dns=192.0.2.53 busybox ip addr
//
// gives the container tap0 with 10.99.0.100/24, a default route through
// 10.99.0.2 and "nameserver 192.0.2.53" in /etc/resolv.conf (without dns=,
// slirp4netns's own forwarder, 10.99.0.3). It does not publish ports.
//
// It shows the three duties of a network plugin: enter the container's
// namespaces through a helper that can (a Go program cannot join a user
// namespace), tie that helper's life to the plugin's own (slirp4netns's
// --exit-fd: it exits when the plugin does, however the plugin ends), and
// report the network it made so that hull writes the container's /etc
// files. It imports only plugins/sdk/netsdk; install it as
// ~/.config/hull/plugins/network/subnet (docs/plugins.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

func main() { netsdk.Serve(&subnet{}) }

// mtu is slirp4netns's default, stated so that hull reports it.
const mtu = 1500

// subnet runs one slirp4netns for the one container this process serves.
type subnet struct {
	mu    sync.Mutex
	exitW *os.File // closing it makes slirp4netns exit
	cmd   *exec.Cmd
}

// config is what the options ask for.
type config struct {
	cidr    netip.Prefix
	address netip.Prefix // the container's, .100 in cidr
	gateway netip.Addr   // .2, slirp4netns's host side
	dns     netip.Addr   // dns=, else .3, slirp4netns's forwarder
}

// parseOptions reads cidr= (an IPv4 network of at least /25, default
// 10.99.0.0/24) and dns= (one IP address).
func parseOptions(opts map[string]string) (config, error) {
	var c config
	for k := range opts {
		if k != "cidr" && k != "dns" {
			return c, fmt.Errorf("unknown option %q (known: cidr, dns)", k)
		}
	}
	cidr := opts["cidr"]
	if cidr == "" {
		cidr = "10.99.0.0/24"
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 25 || p.Masked() != p {
		return c, fmt.Errorf("option cidr=%q: want an IPv4 network address of /25 or larger, like 10.99.0.0/24", cidr)
	}
	c.cidr = p
	c.address = netip.PrefixFrom(nth(p.Addr(), 100), p.Bits())
	c.gateway, c.dns = nth(p.Addr(), 2), nth(p.Addr(), 3)
	if v, ok := opts["dns"]; ok {
		if c.dns, err = netip.ParseAddr(v); err != nil {
			return c, fmt.Errorf("option dns=%q: want an IP address", v)
		}
	}
	return c, nil
}

// nth is the n-th address of the network starting at a.
func nth(a netip.Addr, n byte) netip.Addr {
	b := a.As4()
	b[3] += n
	return netip.AddrFrom4(b)
}

func (s *subnet) Setup(_ context.Context, req netsdk.Request) (netsdk.Result, error) {
	if len(req.Ports) > 0 {
		return netsdk.Result{}, errors.New("this network does not publish ports: drop -p, or use --network bridge")
	}
	c, err := parseOptions(req.Options)
	if err != nil {
		return netsdk.Result{}, err
	}
	if err := s.start(req, c); err != nil {
		return netsdk.Result{}, err
	}
	return netsdk.Result{Interface: "tap0", Address: c.address.String(), Gateway: c.gateway.String(),
		DNS: []string{c.dns.String()}, MTU: mtu}, nil
}

// start runs slirp4netns --configure in the container's namespaces and
// waits until tap0 is up. fd 3 is its ready pipe, fd 4 its exit pipe: this
// process keeps the only write end, so slirp4netns ends with it.
func (s *subnet) start(req netsdk.Request, c config) error {
	bin, err := exec.LookPath("slirp4netns")
	if err != nil {
		return errors.New("slirp4netns is not installed (install the slirp4netns package)")
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return err
	}
	// --enable-sandbox and --enable-seccomp confine slirp4netns, which
	// parses every packet the container sends; the sandbox needs the pid
	// (slirp4netns joins the user namespace through it), not a netns path.
	cmd := exec.Command(bin, "--configure", "--disable-host-loopback", fmt.Sprintf("--mtu=%d", mtu),
		"--cidr="+c.cidr.String(), "--ready-fd=3", "--exit-fd=4", "--userns-path="+req.UserNS,
		"--enable-sandbox", "--enable-seccomp", strconv.Itoa(req.Pid), "tap0")
	cmd.Stderr = os.Stderr // hull keeps the end of it for its error messages
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	err = cmd.Start()
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return fmt.Errorf("start slirp4netns: %w", err)
	}
	if err := waitReady(readyR); err != nil {
		exitW.Close()
		_ = cmd.Wait()
		return fmt.Errorf("slirp4netns: %w", err)
	}
	s.mu.Lock()
	s.cmd, s.exitW = cmd, exitW
	s.mu.Unlock()
	return nil
}

// waitReady reads slirp4netns's ready byte; EOF means it exited first.
func waitReady(r *os.File) error {
	_ = r.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.Read(make([]byte, 1)); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("exited before the network was ready")
		}
		return fmt.Errorf("wait for ready: %w", err)
	}
	return nil
}

// Teardown closes the exit pipe and reaps slirp4netns.
func (s *subnet) Teardown(context.Context, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	err := s.exitW.Close()
	if werr := s.cmd.Wait(); werr != nil {
		err = errors.Join(err, fmt.Errorf("slirp4netns: %w", werr))
	}
	s.cmd = nil
	return err
}
