// Package events is the store's event log, what `hull events` reads: one
// JSON line per state change (a container created, started, died,
// paused, renamed, destroyed; an image tagged, untagged, deleted), in
// Docker's event shape. hull has no daemon to keep events in memory, so
// every process that changes the store appends to a file in it.
//
// Appends are single write(2)s of one line under 4096 bytes (PIPE_BUF)
// on a file opened O_APPEND, under flock of events.log.lock: concurrent
// writers never interleave lines. The log is capped: past MaxBytes it is
// rotated to events.log.1 (the one before is dropped), under the same lock.
package events

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// MaxBytes is the size at which the log is rotated.
var MaxBytes int64 = 1 << 20

// maxLine keeps a line one atomic write.
const maxLine = 4000

// Event is Docker's event message.
type Event struct {
	Type     string `json:"Type"`
	Action   string `json:"Action"`
	Actor    Actor  `json:"Actor"`
	Scope    string `json:"scope"`
	Time     int64  `json:"time"`
	TimeNano int64  `json:"timeNano"`
	// Docker's older fields, still in its JSON.
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
}

// Actor is the object of an event: its id and attributes (name, image).
type Actor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// New makes an event of now.
func New(typ, action, id string, attrs map[string]string) Event {
	now := time.Now()
	e := Event{Type: typ, Action: action, Actor: Actor{ID: id, Attributes: attrs}, Scope: "local",
		Time: now.Unix(), TimeNano: now.UnixNano()}
	if typ == "container" {
		e.Status, e.ID, e.From = action, id, attrs["image"]
	}
	return e
}

// File is the log of the store at root.
func File(root string) string { return filepath.Join(root, "events.log") }

// Append adds e to the log of the store at root.
func Append(root string, e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if len(line) >= maxLine {
		e.Actor.Attributes = map[string]string{"truncated": "true"}
		if line, err = json.Marshal(e); err != nil {
			return err
		}
	}
	line = append(line, '\n')
	path := File(root)
	// Writers serialise on a lock file that is never rotated: locking the
	// log itself made a writer that waited across a rotation start over,
	// and under contention some gave up and the event was lost.
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	defer lock.Close() // releases the lock
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock event log: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err == nil && st.Size > 0 && st.Size+int64(len(line)) > MaxBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("rotate event log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// Read returns the events logged, oldest first, and the size of the
// current file read (Follow goes on from there).
func Read(root string) ([]Event, int64, error) {
	var out []Event
	for _, p := range []string{File(root) + ".1", File(root)} {
		evs, n, err := readFrom(p, 0)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, err
		}
		out = append(out, evs...)
		if p == File(root) {
			return out, n, nil
		}
	}
	return out, 0, nil
}

// readFrom reads the events of file from offset on; a line cut short
// (being written) is left for the next read.
func readFrom(file string, off int64) ([]Event, int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, off, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, off, err
	}
	var out []Event
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return out, off, nil
		}
		off += int64(len(line))
		var e Event
		if json.Unmarshal(line, &e) == nil {
			out = append(out, e)
		}
	}
}

// Follow calls fn with each event appended after offset until stop is
// closed, polling the file; a rotation starts it over on the new file.
func Follow(root string, offset int64, stop <-chan struct{}, fn func(Event) error) error {
	path := File(root)
	var ino uint64
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil {
		ino = st.Ino
	}
	for {
		if unix.Stat(path, &st) == nil && st.Ino != ino {
			// Rotated: what was appended to the old file before the
			// rename is in .1 past offset.
			evs, _, _ := readFrom(path+".1", offset)
			for _, e := range evs {
				if err := fn(e); err != nil {
					return err
				}
			}
			ino, offset = st.Ino, 0
		}
		evs, n, err := readFrom(path, offset)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		offset = n
		for _, e := range evs {
			if err := fn(e); err != nil {
				return err
			}
		}
		select {
		case <-stop:
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
