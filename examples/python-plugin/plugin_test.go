// The Python example passes the same conformance suite as the Go one,
// through the real protocol. It needs python3 with Debian's python3-grpcio
// and python3-protobuf (.ci/run installs them); without them it skips,
// except under CI, where it fails.
package pythonplugin_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// build packages the plugin as hull installs it: one executable zipapp.
func build(t *testing.T) string {
	t.Helper()
	python := os.Getenv("PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	if out, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput(); err != nil {
		msg := "the Python example needs " + python + " with python3-grpcio and python3-protobuf " +
			"(apt-get install python3-grpcio python3-protobuf): " + err.Error() + ": " + string(out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "hull-checksum")
	if out, err := exec.Command(python, "build.py", bin, python).CombinedOutput(); err != nil {
		t.Fatalf("build.py: %v\n%s", err, out)
	}
	return bin
}

// file is the content of a file of the fake root, "" if there is none.
func file(h sdk.Host, p string) string {
	b, _ := h.(*plugintest.FakeHost).File(p)
	return string(b)
}

func sum256(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }
func sum512(s string) string { b := sha512.Sum512([]byte(s)); return hex.EncodeToString(b[:]) }

func checksum(args []string, json bool, flags ...sdk.Flag) sdk.Request {
	return sdk.Request{
		Instruction: sdk.Instruction{Keyword: "CHECKSUM", Args: args, JSON: json, Flags: flags, File: "Dockerfile", Line: 4, EndLine: 4},
		Config:      sdk.Config{WorkingDir: "/app", Env: []string{"DIR=/wrong", "KEEP=me"}, Cmd: []string{"sh"}},
		BuildArgs:   map[string]string{"DIR": "/app"},
	}
}

func TestConformance(t *testing.T) {
	bin := build(t)
	files := map[string]string{"/app/a": "hello\n", "/b": "x",
		"/app/SUMS":  sum256("hello\n") + "  a\n" + sum256("x") + " */b\n",
		"/app/WRONG": sum256("hello\n") + "  /b\n",
		"/app/GONE":  sum256("x") + "  /gone\n" + sum256("hello\n") + "  a\n",
		"/app/d/x":   "1", "/app/d/sub/y": "2"}
	newHost := func() sdk.Host { return plugintest.NewFakeHost(files) }
	verify := sdk.Flag{Name: "verify"}
	plugintest.RunExecutable(t, bin, newHost,
		plugintest.ExecCase{Name: "write sums", Request: checksum([]string{"a /b  OUT"}, false, sdk.Flag{Name: "mode", Value: "0600"}),
			Check: func(t *testing.T, resp sdk.Response, host sdk.Host) {
				h := host.(*plugintest.FakeHost)
				if got, want := file(h, "/app/OUT"), sum256("hello\n")+"  /app/a\n"+sum256("x")+"  /b\n"; got != want {
					t.Errorf("/app/OUT = %q, want %q", got, want)
				}
				if fi, err := h.Stat(context.Background(), "/app/OUT"); err != nil || fi.Mode.Perm() != 0o600 {
					t.Errorf("/app/OUT: %+v, %v; want mode 0600", fi, err)
				}
				if resp.History != "CHECKSUM /app/a /b /app/OUT # hull-checksum" || resp.EmptyLayer {
					t.Errorf("response = %+v", resp)
				}
				if resp.Config.WorkingDir != "/app" || len(resp.Config.Env) != 2 || len(resp.Config.Cmd) != 1 {
					t.Errorf("the config changed: %+v", resp.Config)
				}
				if l := h.Logs(); len(l) != 1 || l[0] != "CHECKSUM 2 files -> /app/OUT (sha256)" {
					t.Errorf("logs = %q", l)
				}
			}},
		plugintest.ExecCase{Name: "json form, build args, sha512",
			Request: checksum([]string{"${DIR}/a", "/out"}, true, sdk.Flag{Name: "algorithm", Value: "sha512"}),
			Check: func(t *testing.T, _ sdk.Response, host sdk.Host) {
				if got, want := file(host, "/out"), sum512("hello\n")+"  /app/a\n"; got != want {
					t.Errorf("/out = %q, want %q", got, want)
				}
			}},
		plugintest.ExecCase{Name: "a directory", Request: checksum([]string{"d", "/app/DSUMS"}, true),
			Check: func(t *testing.T, _ sdk.Response, host sdk.Host) {
				if got, want := file(host, "/app/DSUMS"), sum256("2")+"  /app/d/sub/y\n"+sum256("1")+"  /app/d/x\n"; got != want {
					t.Errorf("/app/DSUMS = %q, want %q", got, want)
				}
			}},
		plugintest.ExecCase{Name: "verify", Request: checksum([]string{"SUMS"}, false, verify),
			Check: func(t *testing.T, resp sdk.Response, host sdk.Host) {
				if !resp.EmptyLayer || resp.History != "CHECKSUM --verify /app/SUMS # hull-checksum" {
					t.Errorf("response = %+v", resp)
				}
				if l := host.(*plugintest.FakeHost).Logs(); len(l) != 1 || l[0] != "CHECKSUM --verify /app/SUMS: 2 files OK" {
					t.Errorf("logs = %q", l)
				}
			}},
		plugintest.ExecCase{Name: "verify mismatch", Request: checksum([]string{"WRONG"}, false, verify),
			WantErr: "Dockerfile:4: plugin " + bin + ": execute: CHECKSUM --verify /app/WRONG: sha256 mismatch: /b"},
		plugintest.ExecCase{Name: "verify a missing listed file", Request: checksum([]string{"GONE"}, false, verify),
			WantErr: "CHECKSUM --verify /app/GONE: sha256 mismatch: /gone (missing)"},
		plugintest.ExecCase{Name: "verify missing file", Request: checksum([]string{"/nope"}, false, verify),
			WantErr: "CHECKSUM read /nope: host read file: read /nope: file does not exist"},
		plugintest.ExecCase{Name: "missing file", Request: checksum([]string{"a /nope /out"}, false),
			WantErr: "CHECKSUM stat /nope: host stat: stat /nope: file does not exist"},
		plugintest.ExecCase{Name: "bad algorithm", Request: checksum([]string{"a /out"}, false, sdk.Flag{Name: "algorithm", Value: "md5"}),
			WantErr: "CHECKSUM --algorithm=md5: want one of sha256, sha384, sha512, sha1"},
		plugintest.ExecCase{Name: "unknown flag", Request: checksum([]string{"a /out"}, false, sdk.Flag{Name: "from", Value: "x"}),
			WantErr: "CHECKSUM: unknown flag --from"},
		plugintest.ExecCase{Name: "one argument", Request: checksum([]string{"a"}, false),
			WantErr: "CHECKSUM wants <file>... <dest>, got 1 arguments"},
		plugintest.ExecCase{Name: "unbalanced quote", Request: checksum([]string{`a "/out`}, false),
			WantErr: "CHECKSUM: No closing quotation"},
	)
}

// TestGeneratedCodeIsCurrent regenerates the Python code from the .proto
// files as make proto-python does and compares it with what is committed:
// a changed instruction.proto needs `make proto-python`.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	python := os.Getenv("PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	if out, err := exec.Command(python, "-c", "import grpc_tools.protoc").CombinedOutput(); err != nil {
		msg := "regenerating the Python code needs python3-grpc-tools: " + err.Error() + ": " + string(out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	cmd := exec.Command(python, "-m", "grpc_tools.protoc", "-I", "../../plugins/sdk/proto", "-I", "proto",
		"--python_out="+dir, "--grpc_python_out="+dir,
		"../../plugins/sdk/proto/instruction.proto", "proto/goplugin.proto", "proto/health.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	gen, _ := filepath.Glob(filepath.Join(dir, "*.py"))
	if len(gen) != 6 {
		t.Fatalf("protoc wrote %q, want 6 files", gen)
	}
	for _, g := range gen {
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Base(g))
		if err != nil {
			t.Errorf("%v: run make proto-python", err)
		} else if string(got) != string(want) {
			t.Errorf("%s is not what the .proto files generate: run make proto-python", filepath.Base(g))
		}
	}
}
