package logfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ReadOptions are `hull logs`' flags.
type ReadOptions struct {
	Follow     bool
	Tail       int       // < 0: all lines
	Since      time.Time // zero: from the start
	Until      time.Time // zero: to the end; entries after it are left out
	Timestamps bool
	// Details prefixes each line with its extra attributes, as docker
	// logs --details; hull's log has none, so the prefix is the space
	// Docker writes after them.
	Details bool
	// Done is polled while following: once it returns true, what is left
	// in the file is read and Read returns.
	Done func() bool
}

// pollInterval is how often a followed file is checked for growth.
const pollInterval = 100 * time.Millisecond

// Read writes the entries of the log at path (its rotated part first) to
// stdout and stderr by stream. A missing log is empty.
func Read(path string, opts ReadOptions, stdout, stderr io.Writer) error {
	out := func(e Entry) error {
		if !opts.Since.IsZero() && e.Time.Before(opts.Since) {
			return nil
		}
		if !opts.Until.IsZero() && e.Time.After(opts.Until) {
			return nil
		}
		w := stdout
		if e.Stream == "stderr" {
			w = stderr
		}
		s := e.Log
		if opts.Details {
			s = " " + s
		}
		if opts.Timestamps {
			s = e.Time.UTC().Format(time.RFC3339Nano) + " " + s
		}
		_, err := io.WriteString(w, s)
		return err
	}
	entries, err := readAll(path)
	if err != nil {
		return err
	}
	if opts.Tail >= 0 && len(entries) > opts.Tail {
		entries = entries[len(entries)-opts.Tail:]
	}
	for _, e := range entries {
		if err := out(e); err != nil {
			return err
		}
	}
	if !opts.Follow || (!opts.Until.IsZero() && time.Now().After(opts.Until)) {
		return nil
	}
	return follow(path, opts.Done, out)
}

// readAll reads the rotated files, oldest (NAME.k) first, then NAME.
func readAll(path string) ([]Entry, error) {
	var all []Entry
	files := []string{path}
	for k := 1; k < MaxFiles; k++ {
		p := fmt.Sprintf("%s.%d", path, k)
		if _, err := os.Lstat(p); err != nil {
			break
		}
		files = append([]string{p}, files...)
	}
	for _, p := range files {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r := bufio.NewReader(f)
		for {
			e, err := next(r)
			if err != nil {
				break
			}
			all = append(all, e)
		}
		f.Close()
	}
	return all, nil
}

// next decodes one complete line; a torn last line is io.EOF.
func next(r *bufio.Reader) (Entry, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return Entry{}, io.EOF
	}
	var e Entry
	if jerr := json.Unmarshal(line, &e); jerr != nil {
		return next(r) // skip a damaged line
	}
	return e, nil
}

// follow prints what is appended to path from its current end on,
// reopening it when it is rotated, until done() and nothing is left.
func follow(path string, done func() bool, out func(Entry) error) error {
	f, off, err := openAtEnd(path)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	r := bufio.NewReader(f)
	var pending []byte
	for {
		line, rerr := r.ReadBytes('\n')
		pending = append(pending, line...)
		if rerr == nil {
			off += int64(len(pending))
			var e Entry
			if json.Unmarshal(pending, &e) == nil {
				if err := out(e); err != nil {
					return err
				}
			}
			pending = nil
			continue
		}
		// The writer may have appended to f just before renaming it: the
		// rest of f comes first (it no longer grows once rotated).
		if rotated(f, path) && drained(f, off+int64(len(pending))) {
			f.Close()
			if f, err = os.Open(path); err != nil {
				return err
			}
			r, off, pending = bufio.NewReader(f), 0, nil
			continue
		}
		if done == nil || done() {
			if drained(f, off+int64(len(pending))) {
				return nil
			}
			continue
		}
		time.Sleep(pollInterval)
	}
}

func openAtEnd(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, err
	}
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, off, nil
}

// rotated reports whether path is now another file than f.
func rotated(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && !os.SameFile(a, b)
}

// drained reports whether f holds nothing beyond off.
func drained(f *os.File, off int64) bool {
	fi, err := f.Stat()
	return err != nil || fi.Size() <= off
}
