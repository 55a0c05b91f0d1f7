package isolation

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func socketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("console socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console-parent"), os.NewFile(uintptr(fds[1]), "console-child"), nil
}

// SendConsole passes the pty master to the parent (child side).
func SendConsole(sock int, master *os.File) error {
	rights := unix.UnixRights(int(master.Fd()))
	if err := unix.Sendmsg(sock, []byte("pty"), rights, nil, 0); err != nil {
		return fmt.Errorf("send pty master: %w", err)
	}
	return nil
}

// recvConsole receives the pty master from the child; it returns an error
// when the child ended before sending one.
func recvConsole(sock *os.File) (*os.File, error) {
	buf := make([]byte, 8)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive pty master: %w", err)
	}
	if n == 0 && oobn == 0 {
		return nil, fmt.Errorf("receive pty master: container init ended")
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive pty master: bad control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive pty master: no descriptor")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}
