package logfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Defaults for Writer.
const (
	DefaultMaxSize = 10 << 20 // bytes per file before rotation
	MaxLine        = 16 << 10 // longer lines are split, as Docker's 16 KiB
)

// Entry is one line of the log file.
type Entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// Writer appends entries to a log file, rotating it at MaxSize. It is safe
// for concurrent use by the streams it hands out.
type Writer struct {
	path    string
	maxSize int64
	// maxFiles counts the current file and the rotated ones kept
	// (NAME.1 the newest); at least 1.
	maxFiles int

	mu   sync.Mutex
	f    *os.File
	size int64
	now  func() time.Time
}

// Create opens (appending to) the log file at path. maxSize <= 0 means
// DefaultMaxSize.
func Create(path string, maxSize int64) (*Writer, error) {
	return CreateRotating(path, maxSize, 2)
}

// MaxFiles bounds --log-opt max-file: readAll looks no further.
const MaxFiles = 32

// CreateRotating is Create keeping maxFiles files in all (--log-opt
// max-file; 1 truncates the one file when it is full, as Docker).
func CreateRotating(path string, maxSize int64, maxFiles int) (*Writer, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if maxFiles < 1 || maxFiles > MaxFiles {
		return nil, fmt.Errorf("open log %s: max-file %d is not between 1 and %d", path, maxFiles, MaxFiles)
	}
	w := &Writer{path: path, maxSize: maxSize, maxFiles: maxFiles, now: time.Now}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log %s: %w", w.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log %s: %w", w.path, err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Stream returns a writer whose complete lines become entries of stream
// ("stdout" or "stderr"). Call Flush on it when the stream ends, to write
// a last line without a newline.
func (w *Writer) Stream(name string) *StreamWriter {
	return &StreamWriter{w: w, name: name}
}

// Discard is a Writer that keeps nothing (--log-driver none).
func Discard() *Writer { return &Writer{now: time.Now} }

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	return w.f.Close()
}

func (w *Writer) write(stream string, line []byte) error {
	if w.path == "" {
		return nil // Discard
	}
	b, err := json.Marshal(Entry{Log: string(line), Stream: stream, Time: w.now().UTC()})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.size > 0 && w.size+int64(len(b)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	return err
}

// rotate shifts NAME.k to NAME.k+1 (dropping the oldest), renames the
// full file to NAME.1 and starts an empty one; with one file it empties it.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	if w.maxFiles == 1 {
		if err := os.Truncate(w.path, 0); err != nil {
			return fmt.Errorf("rotate log %s: %w", w.path, err)
		}
		return w.open()
	}
	for k := w.maxFiles - 2; k >= 1; k-- {
		err := os.Rename(fmt.Sprintf("%s.%d", w.path, k), fmt.Sprintf("%s.%d", w.path, k+1))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate log %s: %w", w.path, err)
		}
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	return w.open()
}

// StreamWriter turns one stream's bytes into entries, line by line.
type StreamWriter struct {
	w    *Writer
	name string
	buf  []byte
}

// Write writes every complete line of p (and of what earlier writes left)
// as an entry; lines over MaxLine are split.
func (s *StreamWriter) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 && len(s.buf) < MaxLine {
			return len(p), nil
		}
		end := i + 1
		if i < 0 || end > MaxLine {
			end = MaxLine
		}
		if err := s.w.write(s.name, s.buf[:end]); err != nil {
			return len(p), err
		}
		s.buf = s.buf[end:]
	}
}

// Flush writes what is left of an unfinished last line.
func (s *StreamWriter) Flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.w.write(s.name, s.buf)
	s.buf = nil
	return err
}
