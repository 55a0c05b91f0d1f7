package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The layers (docs/internals.md) and the arrows allowed between them:
//
//	main.go -> everything (the only composition root)
//	core/cli -> core (and the record types it prints)
//	core/monitor -> core (only main imports it)
//	core -> core/*, builders, plugins, isolation
//	builders -> builders/*, plugins, isolation, and of core only the leaves
//	plugins -> plugins/* (never core, never builders)
//	isolation -> isolation/* (nothing else of hull)
//	examples -> plugins/sdk (nothing else of hull)
//
// TestImportArrows holds every package of the module (and of the plugin
// SDK's own module) to the rules below, by its direct imports; a rule
// that holds for every package holds for the import graph. A new wrong
// arrow fails the test. Arrows that are wrong today and being removed
// are in knownWrongArrows, each with the issue that removes it; an entry
// that no longer matches anything fails too, so the list only shrinks.

const module = "github.com/hull-project/hull"

// importRule forbids packages under From (a path relative to the module,
// "" for all of it) to import project packages under any of Not, except
// those under Except. Packages under ExemptFrom ("" is main alone) are
// not held to it.
type importRule struct {
	From       string
	Not        []string
	Except     []string
	ExemptFrom []string
	Why        string
}

// coreLeaves are the core packages the build engine may import: they
// import nothing of hull themselves (TestCoreLeavesAreLeaves).
var coreLeaves = []string{"core/layer"}

var importRules = []importRule{
	{From: "", Not: []string{"core/cli"}, ExemptFrom: []string{"", "core/cli"},
		Why: "nothing imports the CLI but main"},
	{From: "", Not: []string{"core/monitor"}, ExemptFrom: []string{"", "core/monitor"},
		Why: "the monitor is a process main: nothing imports it but main's role table"},
	{From: "isolation", Not: []string{""}, Except: []string{"isolation"},
		Why: "isolation is the mechanism: it imports nothing of hull but its own subpackages"},
	{From: "plugins", Not: []string{"core", "builders"},
		Why: "plugins import nothing of core or builders"},
	{From: "plugins/sdk", Not: []string{""}, Except: []string{"plugins/sdk"},
		Why: "the SDK is what plugin authors import: nothing of hull but itself"},
	{From: "builders", Not: []string{"core"}, Except: coreLeaves,
		Why: "the build engine reaches images, layers and containers through its own interfaces; of core only the leaves"},
	{From: "examples", Not: []string{""}, Except: []string{"plugins/sdk"},
		Why: "the example plugins are what plugin authors copy: they import the SDK only"},
	{From: "core/container", Not: []string{"core/cli", "builders", "plugins"}, Except: []string{"plugins/sdk/netsdk/netspec"},
		Why: "the container record holds plain data: no plugin machinery"},
	{From: "core/kube", Not: []string{"core", "builders", "plugins", "isolation"}, Except: []string{"core/container", "core/kube", "plugins/sdk/netsdk/netspec"},
		Why: "manifests <-> hull's model is a pure mapping over the record types: core executes it"},
	{From: "core/ecs", Not: []string{"core", "builders", "plugins", "isolation"}, Except: []string{"core/container", "core/ecs", "plugins/sdk/netsdk/netspec"},
		Why: "the task definition is a pure mapping over the record types: core gathers its input"},
}

// knownWrongArrows are arrows that break a rule today; each names the
// issue whose work removes it. Add nothing here for new code.
var knownWrongArrows = map[string]string{}

// forbiddenLinks are modules a package must not link at all, even
// through another package.
var forbiddenLinks = map[string][]string{
	"core/container": {"github.com/hashicorp/go-plugin", "google.golang.org/grpc"},
	// Kubernetes' API types only, never a client; the ECS SDK is for tests.
	"core/kube": {"k8s.io/client-go"},
	"":          {"k8s.io/client-go", "github.com/aws/aws-sdk-go-v2"},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

// modulePackages lists the packages of the module in dir with go list,
// built with tags (none when empty).
func modulePackages(t *testing.T, dir, tags string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-tags="+tags, "-json=ImportPath,Imports,Deps,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v: %s", dir, err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list in %s: decode: %v", dir, err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// projectPackages are the packages of hull's module, in the default
// build and in the full one (tag apps: its files in core and core/cli
// have arrows of their own), and, when it is a module of its own, of the
// plugin SDK.
func projectPackages(t *testing.T) []listedPackage {
	pkgs := modulePackages(t, ".", "")
	index := map[string]*listedPackage{}
	for i := range pkgs {
		index[pkgs[i].ImportPath] = &pkgs[i]
	}
	var more []listedPackage
	for _, p := range modulePackages(t, ".", "apps") {
		if q, ok := index[p.ImportPath]; ok {
			q.Imports = union(q.Imports, p.Imports)
			q.Deps = union(q.Deps, p.Deps)
			continue
		}
		more = append(more, p)
	}
	pkgs = append(pkgs, more...)
	if _, err := os.Stat("plugins/sdk/go.mod"); err == nil {
		pkgs = append(pkgs, modulePackages(t, "plugins/sdk", "")...)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; run the test from the module root", len(pkgs))
	}
	return pkgs
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// rel is a project import path relative to the module ("" for the root),
// or false for anything else.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// under reports whether p is dir or inside it; "" holds everything.
func under(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if under(p, d) {
			return true
		}
	}
	return false
}

func (r importRule) breaks(from, to string) bool {
	return under(from, r.From) && !r.exempt(from) && underAny(to, r.Not) && !underAny(to, r.Except)
}

func (r importRule) exempt(from string) bool {
	for _, e := range r.ExemptFrom {
		if from == e || (e != "" && under(from, e)) {
			return true
		}
	}
	return false
}

// wrongArrows are the arrows of pkgs that break a rule, "FROM -> TO"
// mapped to the rule's reason.
func wrongArrows(pkgs []listedPackage, rules []importRule) map[string]string {
	wrong := map[string]string{}
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			to, ok := rel(imp)
			if !ok {
				continue
			}
			for _, r := range rules {
				if r.breaks(from, to) {
					wrong[display(from)+" -> "+display(to)] = r.Why
				}
			}
		}
	}
	return wrong
}

func display(p string) string {
	if p == "" {
		return "main"
	}
	return p
}

func TestImportArrows(t *testing.T) {
	wrong := wrongArrows(projectPackages(t), importRules)
	var arrows []string
	for a := range wrong {
		arrows = append(arrows, a)
	}
	sort.Strings(arrows)
	for _, a := range arrows {
		if _, known := knownWrongArrows[a]; !known {
			t.Errorf("%s: %s", a, wrong[a])
		}
	}
	for a, issue := range knownWrongArrows {
		if _, ok := wrong[a]; !ok {
			t.Errorf("%s is gone (%s): remove it from knownWrongArrows", a, issue)
		}
	}
}

func TestForbiddenLinks(t *testing.T) {
	for _, p := range projectPackages(t) {
		from, _ := rel(p.ImportPath)
		for _, mod := range forbiddenLinks[from] {
			for _, dep := range p.Deps {
				if dep == mod || strings.HasPrefix(dep, mod+"/") {
					t.Errorf("%s links %s: it must not link %s", from, dep, mod)
				}
			}
		}
	}
}

// A declared leaf of core imports nothing of hull, or the build engine
// would reach the rest of core through it.
func TestCoreLeavesAreLeaves(t *testing.T) {
	leaves := map[string]bool{}
	for _, l := range coreLeaves {
		leaves[l] = true
	}
	found := 0
	for _, p := range projectPackages(t) {
		from, _ := rel(p.ImportPath)
		if !leaves[from] {
			continue
		}
		found++
		for _, imp := range p.Imports {
			if to, ok := rel(imp); ok {
				t.Errorf("%s is a declared leaf but imports %s", from, to)
			}
		}
	}
	if found != len(leaves) {
		t.Errorf("found %d of the declared leaves %v", found, coreLeaves)
	}
}

// The rules catch what they are meant to catch.
func TestImportRulesCatch(t *testing.T) {
	pkgs := []listedPackage{
		{ImportPath: module + "/isolation/child", Imports: []string{module + "/isolation", module + "/core/container", "os"}},
		{ImportPath: module + "/plugins/network", Imports: []string{module + "/plugins/sdk/netsdk/netspec", module + "/builders"}},
		{ImportPath: module + "/builders/copier", Imports: []string{module + "/core/layer", module + "/core/image"}},
		{ImportPath: module + "/core", Imports: []string{module + "/core/cli", module + "/builders"}},
		{ImportPath: module, Imports: []string{module + "/core/cli", module + "/core/monitor"}},
		{ImportPath: module + "/core/cli", Imports: []string{module + "/core/monitor"}},
		{ImportPath: module + "/core/container", Imports: []string{module + "/plugins/network", module + "/plugins/sdk/netsdk/netspec"}},
		{ImportPath: module + "/examples/network-plugin", Imports: []string{module + "/plugins/sdk/netsdk", module + "/plugins"}},
	}
	got := wrongArrows(pkgs, importRules)
	want := []string{
		"builders/copier -> core/image", "core -> core/cli", "core/cli -> core/monitor", "core/container -> plugins/network",
		"examples/network-plugin -> plugins", "isolation/child -> core/container", "plugins/network -> builders",
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, "; ") != strings.Join(want, "; ") {
		t.Errorf("wrong arrows:\n %s\nwant\n %s", strings.Join(keys, "\n "), strings.Join(want, "\n "))
	}
}

// appOnly are the modules that only the full hull (build tag apps, the
// app-file commands) may link: the default hull starts every container
// and is every container's monitor, and their package init (compose-go's
// JSON-schema compiler, reference and Kubernetes regexps: ~28,000
// allocations) would cost each of those processes (core/appbin).
var appOnly = []string{
	"github.com/compose-spec/compose-go",
	"k8s.io/",
	"sigs.k8s.io/",
	"github.com/santhosh-tekuri/jsonschema",
	"github.com/distribution/reference",
	"github.com/aws/aws-sdk-go-v2",
}

// binaryDeps is what `go list -deps .` says hull's main links with tags.
func binaryDeps(t *testing.T, tags string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags="+tags, "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -tags=%s -deps .: %v", tags, err)
	}
	return strings.Fields(string(out))
}

func TestAppLibrariesOnlyInFullBuild(t *testing.T) {
	for _, dep := range binaryDeps(t, "") {
		for _, mod := range appOnly {
			if strings.HasPrefix(dep, mod) {
				t.Errorf("the default hull links %s: only the full one (tag apps) may link %s", dep, mod)
			}
		}
	}
	// The full build does link them, or the check above proves nothing.
	full := binaryDeps(t, "apps")
	for _, mod := range []string{"github.com/compose-spec/compose-go/v2/loader", "k8s.io/api/core/v1", module + "/core/compose", module + "/core/kube"} {
		if !slices.Contains(full, mod) {
			t.Errorf("the full hull (tag apps) does not link %s: the app-file commands are not in it", mod)
		}
	}
}

// pluginMachinery is what only a hull that starts plugin processes
// links: go-plugin and its net/rpc and gob, gRPC (with x/net/trace),
// protobuf, and the generated plugin protocol. Their package init is
// over 2,300 allocations of every process (docs/speed.md), so the
// default hull of `make build` (tag appsbin) does without them: its
// builds replay from the cache, or run in the full hull it embeds.
var pluginMachinery = []string{
	"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/hashicorp/go-plugin",
	"net/rpc", "encoding/gob", "golang.org/x/net/trace", "github.com/golang/protobuf",
	module + "/plugins/sdk/proto",
}

// leanTags are the default hull's build tags (Makefile, build).
const leanTags = "urfave_cli_no_docs,hullinit,hullmon,appsbin"

func TestPluginMachineryOnlyInFullBuild(t *testing.T) {
	onlyInFullBuild(t, pluginMachinery, "only a hull that starts plugins may link it",
		[]string{"github.com/hashicorp/go-plugin", "google.golang.org/grpc", module + "/plugins/sdk/proto"}, "who starts the plugins?")
}

// onlyInFullBuild checks that the default hull (leanTags) links none of
// forbidden (a package or one below it), and that the full hull and a
// plain go build do link each of linked, or the first check proves
// nothing. why and who end the two errors.
func onlyInFullBuild(t *testing.T, forbidden []string, why string, linked []string, who string) {
	t.Helper()
	for _, dep := range binaryDepsAnyway(t, leanTags) {
		for _, pkg := range forbidden {
			if dep == pkg || strings.HasPrefix(dep, pkg+"/") {
				t.Errorf("the default hull (tags %s) links %s: %s", leanTags, dep, why)
			}
		}
	}
	for _, tags := range []string{"", "apps"} {
		deps := binaryDeps(t, tags)
		for _, pkg := range linked {
			if !slices.Contains(deps, pkg) {
				t.Errorf("hull built with tags %q does not link %s: %s", tags, pkg, who)
			}
		}
	}
}

// cdiLibrary is what only a hull that resolves CDI devices itself links:
// the CDI library's cache and spec validation, and the YAML parser it
// reads specs with (~3 % of `hull version`'s CPU in package init,
// docs/speed.md). The default hull of `make build` hands a command that
// needs it to the full hull (core/device.CDILinked); its parser package
// (IsCDI, plain string code) stays.
var cdiLibrary = []string{
	"tags.cncf.io/container-device-interface/pkg/cdi", "tags.cncf.io/container-device-interface/internal",
	"tags.cncf.io/container-device-interface/specs-go", "go.yaml.in/yaml/v3",
}

func TestCDIOnlyInFullBuild(t *testing.T) {
	onlyInFullBuild(t, cdiLibrary, "only a hull that resolves CDI devices (core/device, cdi.go) may",
		[]string{"tags.cncf.io/container-device-interface/pkg/cdi", "go.yaml.in/yaml/v3"}, "who resolves CDI devices?")
}

// binaryDepsAnyway is binaryDeps for tags whose packages may fail to
// load here: appsbin embeds the packed full hull, which only `make
// build` writes; the list of packages does not depend on it.
func binaryDepsAnyway(t *testing.T, tags string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-tags="+tags, "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -e -tags=%s -deps .: %v", tags, err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, module+"/core/cli") {
		t.Fatalf("go list -tags=%s -deps . lists no %s/core/cli: %v", tags, module, deps)
	}
	return deps
}

// TestInitLinksNoSeccompCompiler keeps the profile compiler out of the
// embedded init, which every container start executes: hull compiles the
// filters (seccomp.Programs) and the init only loads them (bpfprog).
// go-seccomp-bpf's syscall tables alone cost 165 KB of allocations at init.
func TestInitLinksNoSeccompCompiler(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./isolation/initbin").Output()
	if err != nil {
		t.Fatalf("go list -deps ./isolation/initbin: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, banned := range []string{module + "/isolation/seccomp", "github.com/elastic/go-seccomp-bpf", "github.com/moby/profiles", "golang.org/x/net/bpf"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") && dep != module+"/isolation/seccomp/bpfprog" {
				t.Errorf("the init links %s: compile seccomp filters in hull (seccomp.Programs), load them in the init (bpfprog)", dep)
			}
		}
	}
	// The init does load filters, or the check above proves nothing.
	if !slices.Contains(deps, module+"/isolation/seccomp/bpfprog") {
		t.Errorf("the init does not link %s: who loads the seccomp filters?", module+"/isolation/seccomp/bpfprog")
	}
}

// TestNoBinaryLinksGoSeccompBPF: no hull binary links go-seccomp-bpf,
// whose arch package builds syscall maps for five ABIs at init (4.4 % of
// hull version's CPU). isolation/seccomp compiles with generated tables
// (zsyscalls.go) and its own BPF; go-seccomp-bpf is only the reference of
// its tests.
func TestNoBinaryLinksGoSeccompBPF(t *testing.T) {
	const banned = "github.com/elastic/go-seccomp-bpf"
	// The three hulls of make build (the default one, and the full and
	// the app hull it embeds), a plain go build, the init and the monitor.
	const fullTags = "urfave_cli_no_docs,hullinit,hullmon"
	builds := map[string][]string{
		"the default hull (tags " + leanTags + ")":  binaryDepsAnyway(t, leanTags),
		"the full hull (tags " + fullTags + ")":     binaryDepsAnyway(t, fullTags),
		"the app hull (tags " + fullTags + ",apps)": binaryDepsAnyway(t, fullTags+",apps"),
		"hull built without tags":                   binaryDeps(t, ""),
	}
	for _, pkg := range []string{"./isolation/initbin", "./core/monitor/monbin"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		builds[pkg] = strings.Fields(string(out))
	}
	for build, deps := range builds {
		for _, dep := range deps {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("%s links %s", build, dep)
			}
		}
	}
	// hull does compile seccomp profiles, or the check proves nothing.
	for _, build := range []string{"the default hull (tags " + leanTags + ")", "the app hull (tags " + fullTags + ",apps)"} {
		if !slices.Contains(builds[build], module+"/isolation/seccomp") {
			t.Errorf("%s does not link %s: who compiles the seccomp profiles?", build, module+"/isolation/seccomp")
		}
	}
}

// The monitor binary stays small: one runs beside every detached
// container for its whole life, and every package it links costs each of
// them (docs/speed.md, density). It asks hull for everything else
// (core/moncall), so it links nothing of core but its three leaves and
// none of the heavy libraries.
func TestMonitorLinksLittle(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./core/monitor/monbin").Output()
	if err != nil {
		t.Fatalf("go list -deps ./core/monitor/monbin: %v", err)
	}
	allowed := map[string]bool{module + "/core/attach": true, module + "/core/logfile": true,
		module + "/core/moncall": true, module + "/core/monitor": true, module + "/core/monitor/monbin": true,
		module + "/isolation/role": true}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		if strings.HasPrefix(dep, module+"/") && !allowed[dep] {
			t.Errorf("the monitor links %s: ask hull for it through core/moncall instead", dep)
		}
		for _, banned := range []string{"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/hashicorp/go-plugin",
			"github.com/google/go-containerregistry", "k8s.io", "github.com/opencontainers/image-spec", "github.com/rootless-containers"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("the monitor links %s", dep)
			}
		}
	}
	// It does run the monitor, or the checks above prove nothing.
	if !slices.Contains(deps, module+"/core/monitor") {
		t.Errorf("the monitor binary does not link %s", module+"/core/monitor")
	}
}

// transferLibraries are what only the commands that move images through
// registries and archives need (pull, push, login, logout, search, save,
// load, import; run's and build's pulls; ADD of a URL; build -o
// docker/oci and registry caches): the HTTP and TLS stack,
// go-containerregistry and the Docker config's credential helpers, the
// progress bars (mpb, with its terminal-width tables) and the xz decoder.
// Their package init was ~6 % of `hull version`'s CPU (docs/speed.md), so
// the default hull (tag appsbin) hands those commands to the full hull.
// compress/bzip2 stays: core/layer's Unpack (cp, a build context on
// stdin) reads bzip2 tars, and its package init is one 256-entry CRC
// table.
var transferLibraries = []string{
	"net/http", "crypto/tls", "crypto/x509", "github.com/google/go-containerregistry",
	"github.com/docker/cli", "github.com/docker/docker-credential-helpers",
	"github.com/vbauerster/mpb/v8", "github.com/mattn/go-runewidth", "github.com/acarl005/stripansi",
	"github.com/ulikunitz/xz",
	module + "/core/registry", module + "/core/archive",
}

func TestTransferLibrariesOnlyInFullBuild(t *testing.T) {
	onlyInFullBuild(t, transferLibraries, "only the full hull may link it (hand the command over: appbin.ErrNeedsFullHull)",
		[]string{"net/http", "github.com/google/go-containerregistry/pkg/v1/remote",
			"github.com/vbauerster/mpb/v8", "github.com/ulikunitz/xz", module + "/core/registry", module + "/core/archive"},
		"who pulls and saves?")
}
