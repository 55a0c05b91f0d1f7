package builders

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"
)

// readIgnore loads the context's exclusion patterns: <Dockerfile
// name>.dockerignore beside the Dockerfile wins over the context's
// .dockerignore, as in BuildKit.
func readIgnore(opts Options) ([]string, error) {
	candidates := []string{filepath.Join(opts.ContextDir, ".dockerignore")}
	if opts.DockerfileDir != "" {
		name := filepath.Base(opts.DockerfileName) + ".dockerignore"
		candidates = append([]string{filepath.Join(opts.DockerfileDir, name)}, candidates...)
	}
	for _, c := range candidates {
		f, err := os.Open(c)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c, err)
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", c, err)
		}
		return patterns, nil
	}
	return nil, nil
}
