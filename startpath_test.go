package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The rule (docs/internals.md, "One start path"): every container start
// (run, start and its monitor, a build RUN step, a task of hull's own)
// goes through core/launch, which composes the sandbox, the network and
// the /etc files around isolation's start. A second caller of isolation's
// start entry points would be a copy of that path, and copies drift.
const (
	isolationPkg = "github.com/hull-project/hull/isolation"
	launchDir    = "core/launch"
)

// isolationStarts are isolation's start entry points.
var isolationStarts = map[string]bool{"Start": true, "StartWithHooks": true}

// TestOneStartPath fails when a file outside core/launch (and isolation
// itself) refers to isolation.Start or isolation.StartWithHooks, called or
// not, in code or in tests.
func TestOneStartPath(t *testing.T) {
	fset := token.NewFileSet()
	inLaunch := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if d.IsDir() || !strings.HasSuffix(p, ".go") || dir == "isolation" {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, pos := range isolationStartRefs(f) {
			if dir == launchDir {
				inLaunch++
				continue
			}
			t.Errorf("%s: refers to isolation's start entry point; start containers through core/launch (launch.Start, launch.Run), the one start path", fset.Position(pos))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inLaunch == 0 {
		t.Fatal("core/launch does not refer to isolation.StartWithHooks: the check is broken, or the start path moved")
	}
}

// isolationStartRefs returns where f refers to isolation.Start or
// isolation.StartWithHooks, whatever name it imports isolation under.
func isolationStartRefs(f *ast.File) []token.Pos {
	names := map[string]bool{}
	var out []token.Pos
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == isolationPkg {
			switch {
			case imp.Name == nil:
				names["isolation"] = true
			case imp.Name.Name == ".":
				out = append(out, imp.Pos()) // the entry points would be unqualified
			default:
				names[imp.Name.Name] = true
			}
		}
	}
	if len(names) == 0 {
		return out
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || !isolationStarts[sel.Sel.Name] {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] {
			out = append(out, sel.Pos())
		}
		return true
	})
	return out
}

// The check finds a start under any import name and ignores other Starts.
func TestIsolationStartRefs(t *testing.T) {
	cases := []struct {
		src  string
		want int
	}{
		{`package p; import "github.com/hull-project/hull/isolation"; var _ = isolation.Start`, 1},
		{`package p; import iso "github.com/hull-project/hull/isolation"; func f() { iso.StartWithHooks(nil, iso.Stdio{}, iso.Hooks{}) }`, 1},
		{`package p; import . "github.com/hull-project/hull/isolation"`, 1},
		{`package p; import "github.com/hull-project/hull/isolation"; var _ = isolation.Exec`, 0},
		{`package p; import isolation "os/exec"; var _ = isolation.Command("x").Start`, 0},
	}
	for _, tc := range cases {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", tc.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(isolationStartRefs(f)); got != tc.want {
			t.Errorf("%s: %d references, want %d", tc.src, got, tc.want)
		}
	}
}
