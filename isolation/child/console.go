package child

import (
	"fmt"
	"os"

	"github.com/hull-project/hull/isolation"
	"golang.org/x/sys/unix"
)

// setupConsole opens a pty in the container's devpts instance, makes its
// slave this process's controlling terminal and stdio, binds it at
// /dev/console and hands the master to the parent. Precondition: /dev/pts
// is mounted (newinstance) and /dev/console exists as a file.
func setupConsole(spec *isolation.Spec) error {
	if !spec.Terminal {
		return nil
	}
	return openConsole(spec, true)
}

// openConsole does the work of setupConsole; bindConsole also binds the
// slave at /dev/console.
func openConsole(spec *isolation.Spec, bindConsole bool) error {
	root := spec.Rootfs.MountDir
	master, err := openFileIn(root, "/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY)
	if err != nil {
		return fmt.Errorf("open ptmx: %w", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	if spec.ConsoleRows > 0 && spec.ConsoleCols > 0 {
		ws := &unix.Winsize{Row: spec.ConsoleRows, Col: spec.ConsoleCols}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set console size: %w", err)
		}
	}
	sfd, err := ptyPeer(master)
	if err != nil {
		// TIOCGPTPEER takes the open flags as its argument; retry the
		// classic way on kernels before 4.13.
		sfd, err = openSlaveByNumber(root, master)
		if err != nil {
			return err
		}
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(sfd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup2(sfd, fd); err != nil {
			return fmt.Errorf("dup pty to fd %d: %w", fd, err)
		}
	}
	slave := os.NewFile(uintptr(sfd), "pty-slave")
	defer slave.Close()
	if bindConsole {
		if err := mountAt(root, "/dev/console", true, fdPath(slave), "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	err = isolation.SendConsole(spec.ConsoleFd, master)
	unix.Close(spec.ConsoleFd)
	return err
}

func openSlaveByNumber(root string, master *os.File) (int, error) {
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return -1, fmt.Errorf("pty number: %w", err)
	}
	f, err := openFileIn(root, fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY)
	if err != nil {
		return -1, fmt.Errorf("open pty slave: %w", err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return -1, fmt.Errorf("open pty slave: %w", err)
	}
	unix.CloseOnExec(fd)
	return fd, nil
}

// ptyPeer opens the slave from the master without a path lookup.
func ptyPeer(master *os.File) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}
