package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/isolation/role"
)

// Every role has its main in main's dispatch table.
func TestEveryRoleDispatched(t *testing.T) {
	for _, r := range role.All {
		if roles[r] == nil {
			t.Errorf("role %s has no main in main.go", r)
		}
	}
	if len(roles) != len(role.All) {
		t.Errorf("main.go dispatches %d roles, package role names %d", len(roles), len(role.All))
	}
}

// exitAllowed are the library files that still end the process
// themselves, each with the reason.
var exitAllowed = map[string]string{}

// Only commands' mains call os.Exit: a role's main returns an error and
// main.go (or isolation/initbin) turns it into the exit status. The
// plugin SDK (its own module) is excluded: its Serve is a plugin
// program's main by contract.
func TestNoExitInLibraries(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "plugins/sdk" || path == "test" || path == "examples" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Exit" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "os" || id.Name == "syscall" || id.Name == "unix") {
				if _, ok := exitAllowed[path]; ok {
					seen[path] = true
				} else {
					t.Errorf("%s: %s.Exit in a library: return an error (role.Exit for a status) to main", path, id.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, why := range exitAllowed {
		if !seen[p] {
			t.Errorf("%s no longer calls os.Exit (%s): remove it from exitAllowed", p, why)
		}
	}
}
