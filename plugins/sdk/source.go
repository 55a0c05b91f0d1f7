package sdk

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ModulePath is the import path of this module, the SDK. Until it is
// published, a plugin's go.mod replaces it with a copy hull writes out
// (`hull plugin sdk DIR`, WriteSource).
const ModulePath = "github.com/hull-project/hull/plugins/sdk"

// source is this module's own files: go.mod, go.sum, the .proto files and
// every package's source. Plugins never reference it, so the linker leaves
// it out of them; only hull's binary carries it.
//
//go:embed *
var source embed.FS

// Source is the SDK module's own files, rooted at the module directory.
func Source() fs.FS { return source }

// WriteSource writes a copy of the SDK module into dir, which is created
// (with its parents) and must be empty if it exists: a plugin's go.mod can
// then `replace` ModulePath with it. Files are written 0644, directories
// 0755.
func WriteSource(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create SDK directory %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read SDK directory %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("write SDK to %s: directory is not empty", dir)
	}
	return fs.WalkDir(source, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			if err := os.Mkdir(dst, 0o755); err != nil {
				return fmt.Errorf("write SDK directory %s: %w", dst, err)
			}
			return nil
		}
		data, err := source.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read embedded SDK file %s: %w", p, err)
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write SDK file %s: %w", dst, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write SDK file %s: %w", dst, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write SDK file %s: %w", dst, err)
		}
		return nil
	})
}
