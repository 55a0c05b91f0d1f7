package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while Read writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func create(t *testing.T, maxSize int64) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "container.log")
	w, err := Create(path, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

func write(t *testing.T, s *StreamWriter, text string) {
	t.Helper()
	if _, err := s.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string, opts ReadOptions) (string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	if err := Read(path, opts, &out, &errs); err != nil {
		t.Fatal(err)
	}
	return out.String(), errs.String()
}

var all = ReadOptions{Tail: -1}

func TestStreamsKeptApart(t *testing.T) {
	w, path := create(t, 0)
	out, errs := w.Stream("stdout"), w.Stream("stderr")
	write(t, out, "o1\no2 part")
	write(t, errs, "e1\n")
	write(t, out, "ial\n")
	write(t, errs, "no newline")
	if err := errs.Flush(); err != nil {
		t.Fatal(err)
	}
	gotOut, gotErr := read(t, path, all)
	if gotOut != "o1\no2 partial\n" || gotErr != "e1\nno newline" {
		t.Errorf("stdout %q, stderr %q", gotOut, gotErr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(string(b), "\n", 2)[0]; !strings.HasPrefix(first, `{"log":"o1\n","stream":"stdout","time":"`) {
		t.Errorf("first line is not Docker's json-file format: %s", first)
	}
}

func TestLongLineSplit(t *testing.T) {
	w, path := create(t, 0)
	long := strings.Repeat("x", MaxLine+10) + "\n"
	write(t, w.Stream("stdout"), long)
	if out, _ := read(t, path, all); out != long {
		t.Errorf("long line read back as %d bytes, want %d", len(out), len(long))
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("a line of MaxLine+11 bytes made %d entries, want 2", n)
	}
}

func TestRotation(t *testing.T) {
	const maxSize = 4096
	w, path := create(t, maxSize)
	s := w.Stream("stdout")
	const n = 500
	var want []string
	for i := range n {
		line := "line " + strings.Repeat("-", i%7) + string(rune('a'+i%26))
		want = append(want, line)
		write(t, s, line+"\n")
	}
	for _, p := range []string{path, path + ".1"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("after %d lines: %v", n, err)
		}
		if fi.Size() > maxSize {
			t.Errorf("%s is %d bytes, over the cap of %d", p, fi.Size(), maxSize)
		}
	}
	if _, err := os.Stat(path + ".2"); err == nil {
		t.Errorf("a third file exists")
	}
	out, _ := read(t, path, all)
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) == 0 || len(got) >= n {
		t.Fatalf("read %d lines of %d after rotation", len(got), n)
	}
	if tail := want[n-len(got):]; strings.Join(got, "\n") != strings.Join(tail, "\n") {
		t.Errorf("what is kept is not the last %d lines in order", len(got))
	}
	if kept := countLines(t, path) + countLines(t, path+".1"); len(got) != kept {
		t.Errorf("read %d lines, the two files hold %d", len(got), kept)
	}
}

func TestTailAndSince(t *testing.T) {
	w, path := create(t, 0)
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	i := 0
	w.now = func() time.Time { i++; return base.Add(time.Duration(i) * time.Minute) }
	out, errs := w.Stream("stdout"), w.Stream("stderr")
	for _, l := range []string{"1", "2", "3", "4"} {
		write(t, out, l+"\n")
		write(t, errs, "e"+l+"\n")
	}
	// Entries at minutes 1..8: o1 e1 o2 e2 o3 e3 o4 e4.
	if o, e := read(t, path, ReadOptions{Tail: 3}); o != "4\n" || e != "e3\ne4\n" {
		t.Errorf("--tail 3: %q %q", o, e)
	}
	if o, e := read(t, path, ReadOptions{Tail: 0}); o != "" || e != "" {
		t.Errorf("--tail 0: %q %q", o, e)
	}
	if o, e := read(t, path, ReadOptions{Tail: -1, Since: base.Add(6 * time.Minute)}); o != "4\n" || e != "e3\ne4\n" {
		t.Errorf("--since minute 6: %q %q", o, e)
	}
	if o, e := read(t, path, ReadOptions{Tail: 2, Timestamps: true}); o != "2024-01-02T03:11:05Z 4\n" || e != "2024-01-02T03:12:05Z e4\n" {
		t.Errorf("-t --tail 2: %q %q", o, e)
	}
}

func TestMissingLogIsEmpty(t *testing.T) {
	if o, e := read(t, filepath.Join(t.TempDir(), "none.log"), all); o != "" || e != "" {
		t.Errorf("missing log read as %q %q", o, e)
	}
}

// Following prints what is written after it started, across a rotation,
// and stops once Done says so and the file is drained.
func TestFollow(t *testing.T) {
	w, path := create(t, 2048)
	s := w.Stream("stdout")
	write(t, s, "before\n")
	var done atomic.Bool
	var out syncBuffer
	var errs bytes.Buffer
	finished := make(chan error, 1)
	go func() {
		finished <- Read(path, ReadOptions{Tail: -1, Follow: true, Done: done.Load}, &out, &errs)
	}()
	waitFor(t, func() bool { return out.String() == "before\n" })
	var want strings.Builder
	want.WriteString("before\n")
	for i := range 200 { // about 12 KiB: several rotations
		line := strings.Repeat("f", 50) + string(rune('a'+i%26)) + "\n"
		want.WriteString(line)
		write(t, s, line)
		if i%10 == 0 {
			// Let the follower catch up before the writer rotates twice:
			// a follower that sleeps across two rotations loses the file
			// between (as Docker's). Waiting for what it read, not for a
			// time, keeps this true on a loaded machine.
			sofar := want.String()
			waitFor(t, func() bool { return out.String() == sofar })
		}
	}
	done.Store(true)
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not stop after Done")
	}
	if out.String() != want.String() {
		t.Errorf("followed %d bytes, want %d", len(out.String()), want.Len())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}
