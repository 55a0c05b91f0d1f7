package usernet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TapMain is `hull __hull-nettap IFNAME CIDR MAC MTU`, run by nsenter in
// a container's user and network namespaces: it makes the tap device
// IFNAME there with that address, brings it and lo up, and sends the
// device's fd over the unix socket on fd 3. It runs before the
// container's command (or beside it, for network connect), so it makes
// itself non-dumpable before anything else.
func TapMain(args []string) error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("nettap: non-dumpable: %w", err)
	}
	if len(args) != 4 {
		return errors.New("nettap: want IFNAME CIDR MAC MTU")
	}
	sock := os.NewFile(3, "nettap socket")
	ip, ipnet, err := net.ParseCIDR(args[1])
	if err != nil {
		return fmt.Errorf("nettap: address %q: %w", args[1], err)
	}
	mac, err := net.ParseMAC(args[2])
	if err != nil {
		return fmt.Errorf("nettap: mac %q: %w", args[2], err)
	}
	mtu, err := strconv.Atoi(args[3])
	if err != nil {
		return fmt.Errorf("nettap: mtu %q: %w", args[3], err)
	}
	tap, err := makeTap(args[0], ip, net.IP(ipnet.Mask), mac, mtu)
	if err != nil {
		return fmt.Errorf("nettap %s: %w", args[0], err)
	}
	rights := unix.UnixRights(tap)
	if err := unix.Sendmsg(int(sock.Fd()), []byte{1}, rights, nil, 0); err != nil {
		return fmt.Errorf("nettap: send fd: %w", err)
	}
	return nil
}

// makeTap creates and configures the tap device in the current network
// namespace and returns its fd.
func makeTap(name string, ip, mask net.IP, mac net.HardwareAddr, mtu int) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF: %w", err)
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	defer unix.Close(s)
	steps := []struct {
		what string
		fn   func() error
	}{
		{"set mac", func() error { return ifreqHW(s, name, mac) }},
		{"set mtu", func() error {
			r, _ := unix.NewIfreq(name)
			r.SetUint32(uint32(mtu))
			return unix.IoctlIfreq(s, unix.SIOCSIFMTU, r)
		}},
		{"set address", func() error {
			r, _ := unix.NewIfreq(name)
			_ = r.SetInet4Addr(ip.To4())
			return unix.IoctlIfreq(s, unix.SIOCSIFADDR, r)
		}},
		{"set netmask", func() error {
			r, _ := unix.NewIfreq(name)
			_ = r.SetInet4Addr(mask.To4())
			return unix.IoctlIfreq(s, unix.SIOCSIFNETMASK, r)
		}},
		{"up", func() error { return ifUp(s, name) }},
		{"lo up", func() error { return ifUp(s, "lo") }},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return fd, nil
}

func ifUp(s int, name string) error {
	r, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, r); err != nil {
		return err
	}
	r.SetUint16(r.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	return unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, r)
}

// ifreqHW sets a hardware address: struct ifreq with a sockaddr
// (family ARPHRD_ETHER, then the six bytes).
func ifreqHW(s int, name string, mac net.HardwareAddr) error {
	var raw [unix.IFNAMSIZ + 24]byte
	copy(raw[:unix.IFNAMSIZ-1], name)
	*(*uint16)(unsafe.Pointer(&raw[unix.IFNAMSIZ])) = unix.ARPHRD_ETHER
	copy(raw[unix.IFNAMSIZ+2:], mac)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s), unix.SIOCSIFHWADDR, uintptr(unsafe.Pointer(&raw[0])))
	if errno != 0 {
		return errno
	}
	return nil
}
