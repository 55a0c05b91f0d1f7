package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

// linkPlugin puts a script into dir that re-executes the test binary as a
// plugin in mode.
func linkPlugin(t *testing.T, dir, name, mode string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\nexec env " + modeEnv + "=" + mode + " " + os.Args[0] + "\n"
	must(t, os.WriteFile(p, []byte(script), 0o755))
	return p
}

func TestDiscoverAndRegistry(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	a := linkPlugin(t, first, "a-hello", "hello")
	b := linkPlugin(t, second, "b-hello", "hello")
	must(t, os.WriteFile(filepath.Join(first, "readme.txt"), []byte("x"), 0o644))
	cache := filepath.Join(t.TempDir(), "hull", "plugins.json")
	found, err := Discover([]string{first, second, "/nonexistent"}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	if len(found) != 3 {
		t.Fatalf("found %d, want 3: %+v", len(found), found)
	}
	if found[0].Path != a || found[0].Err != nil || found[0].Info.Name != "hello" || len(found[0].SHA256) != 64 {
		t.Errorf("found[0] = %+v", found[0])
	}
	if found[1].Err == nil || !strings.Contains(found[1].Err.Error(), "not executable") {
		t.Errorf("readme.txt: err = %v, want not executable", found[1].Err)
	}
	reg := NewRegistry(map[string]sdk.Handler{"greet": &builtinGreet{}}, found)
	e, ok := reg.Lookup("hello")
	if !ok || e.Path != a || e.Builtin != "" {
		t.Errorf("HELLO -> %+v, want the first dir's %s over the built-in", e, a)
	}
	g, ok := reg.Lookup("GREET")
	if !ok || g.Builtin != "greet" {
		t.Errorf("GREET -> %+v", g)
	}
	if len(reg.Warnings) != 1 || !strings.Contains(reg.Warnings[0], b) || !strings.Contains(reg.Warnings[0], a) {
		t.Errorf("warnings = %q, want one naming both", reg.Warnings)
	}
	if o := g.Options(Options{}); o.Cmd == nil || o.Name != "builtin greet" {
		t.Errorf("builtin options = %+v", o)
	}

	// Second run: Info comes from the cache; a changed file is relaunched.
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("cache not written: %v", err)
	}
	must(t, os.WriteFile(a, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	found, err = Discover([]string{first, second}, DiscoverOptions{CacheFile: cache, Launch: testOptions(nil)})
	must(t, err)
	if found[0].Err == nil || found[2].Err != nil || found[2].Info.Name != "hello" {
		t.Errorf("after change: a err %v, b %+v", found[0].Err, found[2])
	}
}

func TestPins(t *testing.T) {
	if _, _, err := ParsePin("x=abc"); err == nil {
		t.Error("short sum accepted")
	}
	name, sum, err := ParsePin("hello=sha256:" + strings.Repeat("AB", 32))
	if err != nil || name != "hello" || sum != strings.Repeat("ab", 32) {
		t.Fatalf("ParsePin = %q %q %v", name, sum, err)
	}
	found := []Found{{Path: "/p/hello", SHA256: strings.Repeat("cd", 32), Info: sdk.Info{Name: "hello"}}}
	Pins{name: sum}.Apply(found)
	if !strings.Contains(found[0].Err.Error(), "checksum mismatch") {
		t.Errorf("err = %v", found[0].Err)
	}
	file := filepath.Join(t.TempDir(), "plugins.pin")
	must(t, os.WriteFile(file, []byte("# pins\nhello="+sum+"\n"), 0o644))
	pins, err := LoadPins(file)
	if err != nil || pins["hello"] != sum {
		t.Errorf("LoadPins = %v, %v", pins, err)
	}
}

type builtinGreet struct{ hello }

func (*builtinGreet) Info() sdk.Info {
	return sdk.Info{Name: "greet", Version: "1", Keywords: []string{"GREET", "HELLO"}}
}
