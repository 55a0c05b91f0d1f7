// Package attach is the wire protocol between a container's monitor and
// the hull commands that attach to it (attach, start -a): the frames, the
// monitor's Hub and the socket it listens on.
package attach

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

// Socket is the monitor's attach socket in RunRoot/ID.
//
// Protocol: both sides send frames of one kind byte, a big-endian uint32
// length and that many bytes. The monitor sends Stdout and
// Stderr; clients send Stdin, StdinClose (no more input:
// the container's stdin is closed) and Resize (rows, cols as two
// uint16). The monitor closes every connection once the container's
// output has ended, after an Exit frame (the exit code, a big-endian
// uint32) when the container will not start again: a --rm container's
// record is gone by the time the client could read the code from it.
const Socket = "attach.sock"

// Frame kinds.
const (
	Stdout byte = iota + 1
	Stderr
	Stdin
	StdinClose
	Resize
	Exit
)

// maxFrame bounds a frame a peer may announce.
const maxFrame = 1 << 20

// clientWriteTimeout bounds how long a stuck client may stall the
// container's output before it is dropped.
const clientWriteTimeout = 10 * time.Second

// WriteFrame sends one frame of kind with payload p.
func WriteFrame(w io.Writer, kind byte, p []byte) error {
	hdr := make([]byte, 5, 5+len(p))
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	_, err := w.Write(append(hdr, p...))
	return err
}

// ReadFrame reads one frame: its kind and payload.
func ReadFrame(r io.Reader) (byte, []byte, error) {
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

// Hub is the monitor's side: the connected clients.
type Hub struct {
	input    func([]byte)
	resizeFn func(rows, cols uint16)

	mu         sync.Mutex
	clients    map[net.Conn]bool
	ln         net.Listener
	rows, cols uint16
}

// NewHub serves clients: their input goes to input (nil: no more input),
// their window size to resize.
func NewHub(input func([]byte), resize func(rows, cols uint16)) *Hub {
	return &Hub{input: input, resizeFn: resize, clients: map[net.Conn]bool{}}
}

// Listen serves clients on the socket at path.
func (a *Hub) Listen(path string) error {
	var ln net.Listener
	err := ShortPath(path, func(p string) error {
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

// Add serves an already connected socket (start -a).
func (a *Hub) Add(f *os.File) {
	conn, err := net.FileConn(f)
	f.Close()
	if err == nil {
		a.addConn(conn)
	}
}

func (a *Hub) addConn(conn net.Conn) {
	a.mu.Lock()
	a.clients[conn] = true
	a.mu.Unlock()
	go a.readLoop(conn)
}

func (a *Hub) readLoop(conn net.Conn) {
	for {
		kind, p, err := ReadFrame(conn)
		if err != nil {
			return
		}
		switch kind {
		case Stdin:
			a.input(p)
		case StdinClose:
			a.input(nil)
		case Resize:
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

// Size is the last window size a client sent.
func (a *Hub) Size() (uint16, uint16) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rows, a.cols
}

// Broadcast sends output to every client, dropping those that fail.
func (a *Hub) Broadcast(stream string, p []byte) {
	kind := Stdout
	if stream == "stderr" {
		kind = Stderr
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for c := range a.clients {
		_ = c.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
		if err := WriteFrame(c, kind, p); err != nil {
			c.Close()
			delete(a.clients, c)
		}
	}
}

// CloseWithExit sends every client the container's exit code, then
// ends the connections and stops listening.
func (a *Hub) CloseWithExit(code int) {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(code))
	a.mu.Lock()
	for c := range a.clients {
		_ = c.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
		_ = WriteFrame(c, Exit, p[:])
	}
	a.mu.Unlock()
	a.Close()
}

// Close ends every connection and stops listening.
func (a *Hub) Close() {
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

// ShortPath calls fn with path, or, when path is too long for a socket
// address, with the same file reached through /proc/self/fd of its
// directory.
func ShortPath(path string, fn func(string) error) error {
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

// SetWinsize sets f's terminal size; 0 rows or columns leave it.
func SetWinsize(f *os.File, rows, cols uint16) error {
	if rows == 0 || cols == 0 {
		return nil
	}
	return term.SetWinsize(f.Fd(), &term.Winsize{Height: rows, Width: cols})
}
