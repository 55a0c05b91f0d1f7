package instructions

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the handlers plain sdk code: no go-plugin, no engine,
// no core, no isolation (only the sdk may bring go-plugin in).
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// A trailing "/..." also forbids the packages below.
	forbidden := []string{
		"github.com/hashicorp/go-plugin/...",
		"github.com/hull-project/hull/builders",
		"github.com/hull-project/hull/plugins",
		"github.com/hull-project/hull/core/...",
		"github.com/hull-project/hull/isolation/...",
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if isForbidden(path, forbidden) {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

func isForbidden(path string, forbidden []string) bool {
	for _, f := range forbidden {
		base, tree := strings.CutSuffix(f, "/...")
		if path == base || tree && strings.HasPrefix(path, base+"/") {
			return true
		}
	}
	return false
}
