package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The rule (docs/security.md): code on the host side never hands a path
// joined from a directory and a variable name to a path-based file-system
// call, and never walks a tree by path, because a name or a tree that came
// from an image, a build context, an archive or a container may hold a
// symlink that leads out. Such paths are resolved inside their root
// (openat2 RESOLVE_IN_ROOT: isolation/child/paths.go, builders/copier,
// core/layer) and acted on through the descriptor.
//
// TestNoHostPathsIntoContainers finds every call that breaks the shape of
// the rule. The places below are where the joined name is hull's own (an
// id or a digest it made and checked), or where the tree is hull's own;
// each says why. A new finding fails the test: resolve the path in its
// root instead, or, when the name is really hull's, add it here with the
// reason. An entry that no longer matches anything fails too.
var hostPathAllowed = map[string]string{
	"builders/build.go:close":                   "build id made by hull",
	"builders/run.go:cacheMountDir":             "the cache id is hashed before it names a directory",
	"builders/builddir.go:NewWorkDir":           "build dir named by hull's build id",
	"builders/builddir.go:SweepWorkDirs":        "build dirs named by hull's build ids",
	"core/archive/load.go:extractEntry":         "names are checked local; only directories and regular files are created, so no symlink can exist in the tree",
	"core/cgroup/freeze.go:Freeze":              "cgroupfs paths named by hull's container id",
	"core/cgroup/freeze.go:Thaw":                "cgroupfs paths named by hull's container id (unpause)",
	"core/cgroup/group.go:write":                "cgroupfs control files",
	"core/cgroup/group.go:moveSelf":             "cgroupfs: hull's own leaf in its own cgroup",
	"core/cgroup/group.go:Create":               "cgroupfs paths named by hull's container id",
	"core/cgroup/group.go:Open":                 "cgroupfs paths named by hull's container id",
	"core/monitorcall.go:monitorStart":          "the container's state dir in hull's private runtime dir, named by hull's id",
	"core/container/monitor.go:TakeMonitor":     "container record dir named by hull's id",
	"core/device/resolve.go:addNode":            "walks a host device directory the user named (--device /dev/dri): the user's own host, nothing from an image or a container",
	"core/container/monitor.go:WaitMonitor":     "container record dir named by hull's id",
	"core/container/store.go:createDir":         "container record dir named by hull's id",
	"core/container/store.go:makeSubdirs":       "container record dir named by hull's id",
	"core/container/store.go:removeLocked":      "container record dir named by hull's id",
	"core/container/store.go:readRecord":        "container record dir named by hull's id",
	"core/container/store.go:writeRecord":       "container record dir named by hull's id",
	"core/container/user.go:readInLayer":        "every component is lstat'ed and must be a directory, the last a regular file: no symlink is followed, in a store layer nothing else writes",
	"core/image/blob.go:writeTempFile":          "blob temporaries named by hull",
	"core/image/layerdir.go:AddLayerDir":        "layer dirs and metadata named by verified diff ids and hull's temporaries",
	"core/image/layerdir.go:writeMetaFrom":      "tar-split metadata temporaries named by hull, in the store's own directory",
	"core/image/cache.go:AdoptLayerDir":         "layer dirs named by verified diff ids",
	"core/image/check.go:repair":                "layer dirs named by verified diff ids",
	"core/image/layers.go:unpack":               "layer dirs named by verified diff ids",
	"core/image/put.go:newLayerTemp":            "layer temporaries named by hull",
	"core/pod/store.go:Create":                  "pod record dir named by hull's pod id",
	"core/pod/store.go:Remove":                  "pod record dir named by hull's pod id",
	"core/image/remove.go:collect":              "blobs and layer dirs named by digests",
	"core/image/tmp.go:writeFileAtomic":         "store files named by hull",
	"core/image/tarsplit.go:writeMetaTemp":      "tar-split metadata temporaries named by hull, in the store's own directory",
	"core/image/tarsplit.go:publishOnce":        "layer dirs and metadata named by verified diff ids and hull's temporaries",
	"core/image/tarsplit.go:settle":             "layer dirs named by verified diff ids",
	"core/manage.go:RemoveContainer":            "runtime dir named by hull's container id",
	"core/run.go:runCreated":                    "runtime dir named by hull's container id",
	"core/networks.go:NetworkCreate":            "network records named by a validated network name (validNetworkName: letters, digits, '-', '_', '.', no leading dot) and temporaries named by hull",
	"core/networks.go:NetworkRemove":            "network records named by a validated network name",
	"core/networks.go:readNetwork":              "network records named by a validated network name",
	"core/paths.go:privateRunDir":               "the runtime dir named by hull (uid, boot) in the temp or the user's cache dir; Lstat'ed to be a directory of ours that no one else may enter",
	"core/volume/volume.go:Get":                 "volume dirs named by a validated volume name (ValidName: no slash, no leading dot)",
	"core/volume/volume.go:assemble":            "a temporary dir the store just made, renamed to a validated volume name",
	"core/volume/volume.go:detach":              "volume dirs named by a validated volume name, renamed to a name the store makes",
	"core/disk.go:treeSize":                     "sizes a store tree; WalkDir follows no symlink",
	"builders/cache.go:PruneCache":              "lists the store's buildcache/mounts and buildcache/context, whose entries are named by hull's hashes, and removes each whole (through the user namespace); nothing inside them is looked up",
	"isolation/child/mounts.go:mountFiles":      "writes hull's /etc files into the private state dir",
	"isolation/child/task.go:mountSource":       "mount point in the private state dir",
	"isolation/child/rootfs.go:copyLayer":       "copy driver: walks store layer dirs (no symlink followed) into a fresh upper dir whose parents it made real directories, top-down, before anything runs in it",
	"isolation/start.go:usernsRestriction":      "reads /proc/sys",
	"isolation/start.go:CachedCopy":             "the init's and the monitor's copies in the private runtime dir, checked byte for byte before they run",
	"plugins/network/external.go:FindExternal":  "plugin dirs and a name the user gave on the command line",
	"core/plugins.go:NetworkPlugins":            "the user's own plugin dirs, listed for plugin ls (nothing from an image or a container)",
	"core/remotecache/local.go:writeLayoutFile": "--cache-to dest=: a directory the user named on the command line; the names are hull's (digests it computed, layout file names); import reads through openat2 without symlinks",
	"plugins/sdk/source.go:WriteSource":         "a directory the user named on the command line, which must be empty; file names are the SDK's own, embedded in hull",
}

// hostFSCalls are the path-based file-system calls the rule covers.
var hostFSCalls = map[string][]string{
	"os": {"Open", "OpenFile", "Lstat", "Stat", "ReadFile", "WriteFile", "Mkdir", "MkdirAll", "Remove", "RemoveAll",
		"Rename", "Symlink", "Readlink", "Link", "Chmod", "Chown", "Lchown", "Chtimes", "Create", "ReadDir", "Truncate"},
	"unix": {"Open", "Lstat", "Stat", "Mount", "Lchown", "Chown", "Lgetxattr", "Lsetxattr", "Getxattr", "Setxattr",
		"Llistxattr", "Listxattr", "Mknod", "Unlink", "Rmdir", "Mkdir", "Symlink", "Readlink", "Chmod", "Statfs",
		"Access", "Rename", "Link", "UtimesNano", "Lutimes"},
	"syscall":  {"Open", "Lstat", "Stat", "Mount", "Lchown", "Mknod"},
	"filepath": {"EvalSymlinks"},
}

func TestNoHostPathsIntoContainers(t *testing.T) {
	found := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (d.Name() == "testdata" || d.Name() == "test" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, ".pb.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
				for _, pos := range hostPathCalls(fn) {
					key := filepath.ToSlash(p) + ":" + fn.Name.Name
					found[key] = append(found[key], fset.Position(pos).String())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("found no path-based call at all: the check is broken")
	}
	var keys []string
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := hostPathAllowed[k]; !ok {
			t.Errorf("%s: a path joined from a variable name, or a tree walked by path, goes to a file-system call (%s); resolve it inside its root and use the fd (see docs/security.md)", k, strings.Join(found[k], ", "))
		}
	}
	for k := range hostPathAllowed {
		if _, ok := found[k]; !ok {
			t.Errorf("hostPathAllowed lists %s, which no longer makes such a call: remove the entry", k)
		}
	}
}

// hostPathCalls returns where fn passes a variable join (directly or
// through a local variable) to a path-based call, or walks a tree by path.
func hostPathCalls(fn *ast.FuncDecl) []token.Pos {
	joined := map[string]bool{}
	var out []token.Pos
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for i, rhs := range x.Rhs {
				if id, ok := lhsIdent(x.Lhs, i); ok && variableJoin(rhs) {
					joined[id] = true
				}
			}
		case *ast.CallExpr:
			pkg, name, ok := qualified(x.Fun)
			if !ok {
				return true
			}
			if pkg == "filepath" && (name == "Walk" || name == "WalkDir") {
				out = append(out, x.Pos())
				return true
			}
			if !contains(hostFSCalls[pkg], name) {
				return true
			}
			for _, a := range x.Args {
				id, isIdent := a.(*ast.Ident)
				if variableJoin(a) || (isIdent && joined[id.Name]) {
					out = append(out, x.Pos())
					break
				}
			}
		}
		return true
	})
	return out
}

func lhsIdent(lhs []ast.Expr, i int) (string, bool) {
	if i >= len(lhs) {
		return "", false
	}
	id, ok := lhs[i].(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

func qualified(e ast.Expr) (pkg, name string, ok bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	return id.Name, sel.Sel.Name, true
}

// variableJoin reports a filepath.Join or path.Join with a component after
// the first that is not a literal.
func variableJoin(e ast.Expr) bool {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	pkg, name, ok := qualified(c.Fun)
	if !ok || name != "Join" || (pkg != "filepath" && pkg != "path") {
		return false
	}
	for _, a := range c.Args[1:] {
		if _, lit := a.(*ast.BasicLit); !lit {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
