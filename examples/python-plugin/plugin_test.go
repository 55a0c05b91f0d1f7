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
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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

// fakeHost is a root filesystem in a map; the Host calls CHECKSUM does
// not make are left to the nil interface.
type fakeHost struct {
	sdk.Host
	mu     sync.Mutex
	files  map[string]string
	writes []sdk.WriteFileRequest
	logs   []string
}

func (h *fakeHost) ReadFile(_ context.Context, p string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.files[p]; ok {
		return []byte(s), nil
	}
	return nil, errors.New(p + ": no such file")
}

func (h *fakeHost) WriteFile(_ context.Context, r sdk.WriteFileRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes = append(h.writes, r)
	h.files[r.Path] = string(r.Content)
	return nil
}

func (h *fakeHost) Log(_ context.Context, m string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, m)
	return nil
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
		"/app/WRONG": sum256("hello\n") + "  /b\n"}
	newHost := func() sdk.Host {
		h := &fakeHost{files: map[string]string{}}
		for k, v := range files {
			h.files[k] = v
		}
		return h
	}
	verify := sdk.Flag{Name: "verify"}
	plugintest.RunExecutable(t, bin, newHost,
		plugintest.ExecCase{Name: "write sums", Request: checksum([]string{"a /b  OUT"}, false, sdk.Flag{Name: "mode", Value: "0600"}),
			Check: func(t *testing.T, resp sdk.Response, host sdk.Host) {
				h := host.(*fakeHost)
				if got, want := h.files["/app/OUT"], sum256("hello\n")+"  /app/a\n"+sum256("x")+"  /b\n"; got != want {
					t.Errorf("/app/OUT = %q, want %q", got, want)
				}
				if len(h.writes) != 1 || h.writes[0].Mode != 0o600 {
					t.Errorf("writes = %+v", h.writes)
				}
				if resp.History != "CHECKSUM /app/a /b /app/OUT # hull-checksum" || resp.EmptyLayer {
					t.Errorf("response = %+v", resp)
				}
				if resp.Config.WorkingDir != "/app" || len(resp.Config.Env) != 2 || len(resp.Config.Cmd) != 1 {
					t.Errorf("the config changed: %+v", resp.Config)
				}
				if len(h.logs) != 1 || h.logs[0] != "CHECKSUM 2 files -> /app/OUT (sha256)" {
					t.Errorf("logs = %q", h.logs)
				}
			}},
		plugintest.ExecCase{Name: "json form, build args, sha512",
			Request: checksum([]string{"${DIR}/a", "/out"}, true, sdk.Flag{Name: "algorithm", Value: "sha512"}),
			Check: func(t *testing.T, _ sdk.Response, host sdk.Host) {
				if got, want := host.(*fakeHost).files["/out"], sum512("hello\n")+"  /app/a\n"; got != want {
					t.Errorf("/out = %q, want %q", got, want)
				}
			}},
		plugintest.ExecCase{Name: "verify", Request: checksum([]string{"SUMS"}, false, verify),
			Check: func(t *testing.T, resp sdk.Response, host sdk.Host) {
				if !resp.EmptyLayer || resp.History != "CHECKSUM --verify /app/SUMS # hull-checksum" {
					t.Errorf("response = %+v", resp)
				}
				if len(host.(*fakeHost).writes) != 0 {
					t.Errorf("--verify wrote %+v", host.(*fakeHost).writes)
				}
			}},
		plugintest.ExecCase{Name: "verify mismatch", Request: checksum([]string{"WRONG"}, false, verify),
			WantErr: "Dockerfile:4: plugin " + bin + ": execute: CHECKSUM --verify /app/WRONG: sha256 mismatch: /b"},
		plugintest.ExecCase{Name: "verify missing file", Request: checksum([]string{"/nope"}, false, verify),
			WantErr: "CHECKSUM read /nope: host read file: /nope: no such file"},
		plugintest.ExecCase{Name: "missing file", Request: checksum([]string{"a /nope /out"}, false),
			WantErr: "CHECKSUM read /nope: host read file: /nope: no such file"},
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
