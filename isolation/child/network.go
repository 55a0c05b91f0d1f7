package child

import (
	"fmt"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// loopbackUp brings up lo in the container's new network namespace, as
// every Docker network mode has it. Precondition: CAP_NET_ADMIN in the
// namespace's owning user namespace (we are its root).
func loopbackUp(spec *isolation.Spec) error {
	if spec.HostNetwork {
		return nil
	}
	return LoopbackUp()
}

// LoopbackUp brings up lo in this process's network namespace (a pod's
// infra uses it too).
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring up lo: %w", err)
	}
	return nil
}
