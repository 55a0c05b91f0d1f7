package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI talks to core only: flags -> options -> one core call ->
// output. It never calls the stores behind core (h.Images.X(),
// h.Containers.X()) nor the registry's functions with side effects;
// where it needs one, core gets a small method (core/records.go).
func TestCLICallsCoreOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{"registry.Login": true, "registry.Logout": true}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch x := sel.X.(type) {
			case *ast.SelectorExpr:
				if x.Sel.Name == "Images" || x.Sel.Name == "Containers" {
					t.Errorf("%s: %s.%s() goes around core into a store: add a core method", fset.Position(call.Pos()), x.Sel.Name, sel.Sel.Name)
				}
			case *ast.Ident:
				if name := x.Name + "." + sel.Sel.Name; banned[name] {
					t.Errorf("%s: %s goes around core: call core's", fset.Position(call.Pos()), name)
				}
			}
			return true
		})
	}
}
