package core

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/moby/term"
	"golang.org/x/sys/unix"
)

// attachSocket is the monitor's attach socket in RunRoot/ID.
//
// Protocol: both sides send frames of one kind byte, a big-endian uint32
// length and that many bytes. The monitor sends frameStdout and
// frameStderr; clients send frameStdin, frameStdinClose (no more input:
// the container's stdin is closed) and frameResize (rows, cols as two
// uint16). The monitor closes every connection once the container's
// output has ended; the client then reads the exit code from the record.
const attachSocket = "attach.sock"

// Frame kinds.
const (
	frameStdout byte = iota + 1
	frameStderr
	frameStdin
	frameStdinClose
	frameResize
)

// maxFrame bounds a frame a peer may announce.
const maxFrame = 1 << 20

// clientWriteTimeout bounds how long a stuck client may stall the
// container's output before it is dropped.
const clientWriteTimeout = 10 * time.Second

func writeFrame(w io.Writer, kind byte, p []byte) error {
	hdr := make([]byte, 5, 5+len(p))
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	_, err := w.Write(append(hdr, p...))
	return err
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("attach frame of %d bytes", n)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return hdr[0], p, err
}

// attachHub is the monitor's side: the connected clients.
type attachHub struct {
	input    func([]byte)
	resizeFn func(rows, cols uint16)

	mu         sync.Mutex
	clients    map[net.Conn]bool
	ln         net.Listener
	rows, cols uint16
}

func newAttachHub(input func([]byte), resize func(rows, cols uint16)) *attachHub {
	return &attachHub{input: input, resizeFn: resize, clients: map[net.Conn]bool{}}
}

// listen serves clients on the socket at path.
func (a *attachHub) listen(path string) error {
	var ln net.Listener
	err := shortPath(path, func(p string) error {
		var err error
		ln, err = net.Listen("unix", p)
		return err
	})
	if err != nil {
		return fmt.Errorf("attach socket: %w", err)
	}
	a.ln = ln
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			a.addConn(conn)
		}
	}()
	return nil
}

// add serves an already connected socket (start -a).
func (a *attachHub) add(f *os.File) {
	conn, err := net.FileConn(f)
	f.Close()
	if err == nil {
		a.addConn(conn)
	}
}

func (a *attachHub) addConn(conn net.Conn) {
	a.mu.Lock()
	a.clients[conn] = true
	a.mu.Unlock()
	go a.readLoop(conn)
}

func (a *attachHub) readLoop(conn net.Conn) {
	for {
		kind, p, err := readFrame(conn)
		if err != nil {
			return
		}
		switch kind {
		case frameStdin:
			a.input(p)
		case frameStdinClose:
			a.input(nil)
		case frameResize:
			if len(p) == 4 {
				rows, cols := binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])
				a.mu.Lock()
				a.rows, a.cols = rows, cols
				a.mu.Unlock()
				a.resizeFn(rows, cols)
			}
		}
	}
}

// size is the last window size a client sent.
func (a *attachHub) size() (uint16, uint16) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rows, a.cols
}

// broadcast sends output to every client, dropping those that fail.
func (a *attachHub) broadcast(stream string, p []byte) {
	kind := frameStdout
	if stream == "stderr" {
		kind = frameStderr
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for c := range a.clients {
		_ = c.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
		if err := writeFrame(c, kind, p); err != nil {
			c.Close()
			delete(a.clients, c)
		}
	}
}

// close ends every connection and stops listening.
func (a *attachHub) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		a.ln.Close()
	}
	for c := range a.clients {
		c.Close()
	}
	a.clients = map[net.Conn]bool{}
}

// shortPath calls fn with path, or, when path is too long for a socket
// address, with the same file reached through /proc/self/fd of its
// directory.
func shortPath(path string, fn func(string) error) error {
	if len(path) < 100 {
		return fn(path)
	}
	dir, err := os.OpenFile(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer dir.Close()
	return fn(fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path)))
}

func setWinsize(f *os.File, rows, cols uint16) error {
	if rows == 0 || cols == 0 {
		return nil
	}
	return term.SetWinsize(f.Fd(), &term.Winsize{Height: rows, Width: cols})
}
