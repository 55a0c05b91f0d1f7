package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// max-file keeps that many files in all; Read reads them oldest first.
func TestRotateMaxFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w, err := CreateRotating(path, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(s, "line-%02d\n", i)
	}
	w.Close()
	for _, p := range []string{path, path + ".1", path + ".2"} {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 200 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Errorf("%s.3 kept with max-file 3", path)
	}
	var out bytes.Buffer
	if err := Read(path, ReadOptions{Tail: -1}, &out, &out); err != nil {
		t.Fatal(err)
	}
	l := strings.Split(strings.TrimSpace(out.String()), "\n")
	if l[len(l)-1] != "line-39" {
		t.Errorf("last line %q", l[len(l)-1])
	}
	for i := 1; i < len(l); i++ {
		if l[i] <= l[i-1] {
			t.Errorf("out of order: %q after %q", l[i], l[i-1])
		}
	}
	if _, err := CreateRotating(path, 200, 0); err == nil {
		t.Errorf("max-file 0 accepted")
	}
}

// max-file 1 empties the one file when it is full.
func TestRotateOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w, err := CreateRotating(path, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(s, "line-%02d\n", i)
	}
	w.Close()
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Errorf("a rotated file with max-file 1")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() > 200 {
		t.Errorf("%s: %v", path, err)
	}
}

// --until leaves out later entries; --details prefixes a space.
func TestReadUntilDetails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w, err := Create(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	w.now = func() time.Time { i++; return base.Add(time.Duration(i) * time.Minute) }
	s := w.Stream("stdout")
	fmt.Fprint(s, "a\nb\nc\n")
	w.Close()
	var out bytes.Buffer
	if err := Read(path, ReadOptions{Tail: -1, Until: base.Add(2 * time.Minute), Details: true}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != " a\n b\n" {
		t.Errorf("until+details: %q", out.String())
	}
}
