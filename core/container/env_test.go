package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func fakeLookup(env map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestParseEnvFile(t *testing.T) {
	in := "\xef\xbb\xbf# comment\n\n  FOO=bar baz \nQUOTED=\"x\"\n  # indented comment\nHOSTVAR\nUNSET\nEMPTY=\n\tLEAD=1\n"
	got, err := parseEnvFile([]byte(in), fakeLookup(map[string]string{"HOSTVAR": "from-host"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"FOO=bar baz ", `QUOTED="x"`, "HOSTVAR=from-host", "EMPTY=", "LEAD=1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseEnvFileErrors(t *testing.T) {
	for _, in := range []string{"BAD NAME=1\n", "=value\n", "A=\xff\n"} {
		if _, err := parseEnvFile([]byte(in), fakeLookup(nil)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestUserEnvOrder(t *testing.T) {
	f := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(f, []byte("A=file\nB=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := UserEnv([]string{f}, []string{"B=flag", "HOSTVAR", "NOPE"}, fakeLookup(map[string]string{"HOSTVAR": "h"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=file", "B=file", "B=flag", "HOSTVAR=h", "NOPE"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := UserEnv(nil, []string{"=x"}, fakeLookup(nil)); err == nil {
		t.Fatal("empty name accepted")
	}
}

func TestProcessEnvLikeDocker(t *testing.T) {
	image := []string{"PATH=/custom/bin", "LANG=C.UTF-8", "DROPME=1"}
	cfg := MergeImageEnv([]string{"FOO=1", "DROPME"}, image)
	if want := []string{"FOO=1", "DROPME", "PATH=/custom/bin", "LANG=C.UTF-8"}; !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config env %q, want %q", cfg, want)
	}
	got := ProcessEnv(cfg, "abc", true, "/root")
	want := []string{"PATH=/custom/bin", "HOSTNAME=abc", "TERM=xterm", "FOO=1", "LANG=C.UTF-8", "HOME=/root"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// No PATH in the image: the default; HOME given: kept; bare HOSTNAME removes it.
	got = ProcessEnv([]string{"HOME=/x", "HOSTNAME"}, "h", false, "/root")
	want = []string{"PATH=" + DefaultPath, "HOME=/x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
