package sdk

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// diskFiles lists the module's files as the go command sees them: what
// `go mod vendor` or a module zip would carry, without editor droppings.
func diskFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// Every file of the module is embedded: a package or .proto added to the
// SDK and not to the go:embed line would be missing from `hull plugin sdk`.
func TestSourceIsWholeModule(t *testing.T) {
	var embedded []string
	err := fs.WalkDir(Source(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(embedded)
	onDisk := diskFiles(t)
	if strings.Join(embedded, "\n") != strings.Join(onDisk, "\n") {
		t.Fatalf("embedded SDK files differ from the module's files; extend the go:embed line in source.go\nembedded: %q\non disk:  %q", embedded, onDisk)
	}
	for _, want := range []string{"go.mod", "go.sum", "proto/instruction.proto", "proto/network.proto", "netsdk/serve.go"} {
		if _, err := fs.Stat(Source(), want); err != nil {
			t.Errorf("embedded SDK lacks %s: %v", want, err)
		}
	}
}

func TestWriteSource(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "sdk")
	if err := WriteSource(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range diskFiles(t) {
		want, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatalf("written SDK: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("written %s differs from the module's", p)
		}
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.HasPrefix(string(mod), "module "+ModulePath+"\n") {
		t.Errorf("written go.mod does not declare %s: %q, %v", ModulePath, mod, err)
	}
	// A second write into the same directory is refused, not merged.
	if err := WriteSource(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("WriteSource into a non-empty directory: %v, want a 'not empty' error", err)
	}
}
