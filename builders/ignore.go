package builders

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/hull-project/hull/builders/copier"
	"github.com/moby/patternmatcher/ignorefile"
)

// maxContextFile bounds a Dockerfile or .dockerignore read by the engine.
const maxContextFile = 16 << 20

// readDockerfile reads a Dockerfile that lies in the context inside the
// context root, as COPY reads its sources: an absolute or "../" symlink
// resolves within the context, so the Dockerfile cannot be a host file
// (whose first line a parse error would print).
func readDockerfile(opts *Options) error {
	if opts.DockerfileInContext == "" {
		return nil
	}
	data, err := copier.ReadFile(opts.ContextDir, opts.DockerfileInContext, maxContextFile)
	if err != nil {
		return fmt.Errorf("read Dockerfile: %w", err)
	}
	opts.Dockerfile = data
	return nil
}

// readIgnore loads the context's exclusion patterns: <Dockerfile
// name>.dockerignore beside the Dockerfile wins over the context's
// .dockerignore, as in BuildKit. Files in the context are read inside it;
// only the one beside a -f outside the context is read from the host.
func readIgnore(opts Options) ([]string, error) {
	type candidate struct{ root, rel string } // root "": rel is a host path
	var candidates []candidate
	name := filepath.Base(opts.DockerfileName) + ".dockerignore"
	switch {
	case opts.DockerfileInContext != "":
		candidates = append(candidates, candidate{opts.ContextDir, path.Join(path.Dir(opts.DockerfileInContext), name)})
	case opts.DockerfileDir != "":
		candidates = append(candidates, candidate{"", filepath.Join(opts.DockerfileDir, name)})
	}
	candidates = append(candidates, candidate{opts.ContextDir, ".dockerignore"})
	for _, c := range candidates {
		var data []byte
		var err error
		if c.root != "" {
			data, err = copier.ReadFile(c.root, c.rel, maxContextFile)
		} else {
			data, err = readHostFile(c.rel)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c.rel, err)
		}
		patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c.rel, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// readHostFile reads a file the user named, at most maxContextFile bytes.
func readHostFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxContextFile+1))
	if err == nil && len(data) > maxContextFile {
		err = fmt.Errorf("larger than %d bytes", maxContextFile)
	}
	return data, err
}
