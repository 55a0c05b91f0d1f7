package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The getting-started guide of docs/plugins.md, followed word for word: the
// section's code blocks, in order, make one shell script. "sh" blocks are
// its commands, run from an empty directory; the "go" block is main.go and
// the "dockerfile" block the Dockerfile, written where the commands have
// gone by then; the "text" block is what the last command prints. Any other
// block in the section fails the test, so the guide and the test cannot
// drift apart.
const docsGuideHeading = "## From zero to a custom instruction"

// docBlock is one fenced code block: its info string's first word and its
// body, with the fence's indentation taken off.
type docBlock struct {
	lang string
	body string
}

// guideBlocks returns the fenced blocks of the section headed heading.
func guideBlocks(doc, heading string) ([]docBlock, error) {
	start := strings.Index(doc, "\n"+heading+"\n")
	if start < 0 {
		return nil, fmt.Errorf("no section %q", heading)
	}
	section := doc[start+len(heading)+2:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var blocks []docBlock
	lines := strings.Split(section, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		indent := lines[i][:len(lines[i])-len(trimmed)]
		lang, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "```"), " ")
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			if strings.TrimLeft(lines[i], " ") == "```" {
				closed = true
				break
			}
			l := lines[i]
			if l != "" && !strings.HasPrefix(l, indent) {
				return nil, fmt.Errorf("%s block: line %q is not indented like its fence", lang, l)
			}
			body = append(body, strings.TrimPrefix(l, indent))
		}
		if !closed {
			return nil, fmt.Errorf("%s block: no closing fence", lang)
		}
		blocks = append(blocks, docBlock{lang: lang, body: strings.Join(body, "\n") + "\n"})
	}
	return blocks, nil
}

// guideScript turns the blocks into a bash script and the output its last
// command must print.
func guideScript(blocks []docBlock) (script, want string, err error) {
	var b strings.Builder
	b.WriteString("set -euxo pipefail\n")
	files := map[string]string{"go": "main.go", "dockerfile": "Dockerfile"}
	seen := map[string]bool{}
	for _, bl := range blocks {
		switch bl.lang {
		case "sh":
			if want != "" {
				return "", "", fmt.Errorf("a command block after the expected output")
			}
			b.WriteString(bl.body)
		case "go", "dockerfile":
			if seen[bl.lang] {
				return "", "", fmt.Errorf("two %s blocks", bl.lang)
			}
			seen[bl.lang] = true
			if strings.Contains(bl.body, "\nHULL_DOC_EOF\n") {
				return "", "", fmt.Errorf("%s block holds the heredoc delimiter", bl.lang)
			}
			fmt.Fprintf(&b, "cat > %s <<'HULL_DOC_EOF'\n%sHULL_DOC_EOF\n", files[bl.lang], bl.body)
		case "text":
			if want != "" {
				return "", "", fmt.Errorf("two expected outputs")
			}
			want = strings.TrimSpace(bl.body)
		default:
			return "", "", fmt.Errorf("a %q block: the test does not know what to do with it", bl.lang)
		}
	}
	if !seen["go"] || !seen["dockerfile"] || want == "" {
		return "", "", fmt.Errorf("the guide lacks main.go, the Dockerfile or the expected output")
	}
	return b.String(), want, nil
}

func TestGuideBlocks(t *testing.T) {
	t.Parallel()
	doc := "intro\n## Guide\n\n1. one\n\n   ```sh\n   mkdir x && cd x\n   ```\n\n   ```go\n   package main\n\n   \tfunc main() {}\n   ```\n\n```dockerfile\nFROM busybox\n```\n\n```sh\nhull run --rm x\n```\n\n```text\nhi\n```\n\n## Next\n\n```python\nignored\n```\n"
	blocks, err := guideBlocks(doc, "## Guide")
	if err != nil {
		t.Fatal(err)
	}
	want := []docBlock{{"sh", "mkdir x && cd x\n"}, {"go", "package main\n\n\tfunc main() {}\n"},
		{"dockerfile", "FROM busybox\n"}, {"sh", "hull run --rm x\n"}, {"text", "hi\n"}}
	if !slices.Equal(blocks, want) {
		t.Fatalf("guideBlocks = %q, want %q", blocks, want)
	}
	script, out, err := guideScript(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if out != "hi" || !strings.Contains(script, "cat > main.go <<'HULL_DOC_EOF'\npackage main\n\n\tfunc main() {}\nHULL_DOC_EOF\n") ||
		!strings.HasSuffix(script, "hull run --rm x\n") {
		t.Errorf("guideScript: want %q, script:\n%s", out, script)
	}
	if _, _, err := guideScript(append(blocks, docBlock{"console", "$ x\n"})); err == nil {
		t.Error("guideScript accepted a block it does not run")
	}
}

// docsPath is docs/plugins.md: the copy make test-plugins puts beside the
// test plugins (the test user may not read the checkout), else the
// checkout's.
func docsPath(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("HULL_TEST_PLUGINS"); d != "" {
		p := filepath.Join(d, "plugins.md")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v (make test-plugins copies docs/plugins.md there)", err)
		}
		return p
	}
	return filepath.Join("..", "docs", "plugins.md")
}

// TestPluginDocsGettingStarted writes, builds and installs the guide's
// plugin with the Go toolchain, then builds and runs the guide's image with
// it through hull, in a home of its own, and checks what the guide says the
// run prints. The plugin returns no Config, so it also checks that ENV and
// CMD before it survive (issue 13 item 2).
func TestPluginDocsGettingStarted(t *testing.T) {
	// Parallel: most of its time is the Go toolchain downloading and
	// compiling gRPC.
	t.Parallel()
	doc, err := os.ReadFile(docsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := guideBlocks(string(doc), docsGuideHeading)
	if err != nil {
		t.Fatalf("docs/plugins.md: %v", err)
	}
	script, want, err := guideScript(blocks)
	if err != nil {
		t.Fatalf("docs/plugins.md, %s: %v", docsGuideHeading, err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	s := withBusybox(t)

	tmp := t.TempDir()
	home, work, bin := filepath.Join(tmp, "home"), filepath.Join(tmp, "work"), filepath.Join(tmp, "bin")
	for _, d := range []string{home, work, bin} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// `hull` is the binary under test on the test's store.
	wrapper := fmt.Sprintf("#!/bin/sh\nexec '%s' --root '%s' \"$@\"\n", hullBin, s.root)
	if err := os.WriteFile(filepath.Join(bin, "hull"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// The Go caches: HULL_TEST_GOMODCACHE and HULL_TEST_GOCACHE when set
	// (a warm cache across runs), else fresh ones that go with the test.
	gomod, gocache := os.Getenv("HULL_TEST_GOMODCACHE"), os.Getenv("HULL_TEST_GOCACHE")
	if gomod == "" {
		gomod = filepath.Join(tmp, "gomodcache")
	}
	if gocache == "" {
		gocache = filepath.Join(tmp, "gocache")
	}
	env := []string{
		"PATH=" + bin + ":" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home, "USER=" + os.Getenv("USER"), "LANG=C.UTF-8", "TMPDIR=" + tmp,
		"GOPATH=" + filepath.Join(tmp, "gopath"), "GOMODCACHE=" + gomod, "GOCACHE=" + gocache,
		"GOFLAGS=-mod=mod -modcacherw",
	}
	for _, k := range []string{"GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOSUMDB"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = work, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Logf("the guide's commands:\n%s\nstdout:%s\nstderr:%s", script, indent(stdout.String()), indent(stderr.String()))
	if err != nil {
		t.Fatalf("the guide's commands failed: %v", err)
	}
	out := lines(strings.TrimSpace(stdout.String()))
	if len(out) == 0 || out[len(out)-1] != want {
		t.Fatalf("the guide's last command printed %q, the guide says %q", out, want)
	}

	// The plugin returned no Config: the image keeps the ENV and CMD
	// written before its step.
	var img []struct {
		Config struct {
			Env []string
			Cmd []string
		}
	}
	if err := json.Unmarshal([]byte(s.mustHull(t, "image", "inspect", "hello")), &img); err != nil || len(img) != 1 {
		t.Fatalf("image inspect hello: %v (%d images)", err, len(img))
	}
	if !slices.Contains(img[0].Config.Env, "GREETING=hello from") {
		t.Errorf("Env after the plugin's step = %q, want GREETING=hello from kept", img[0].Config.Env)
	}
	if !slices.Equal(img[0].Config.Cmd, []string{"sh", "-c", "echo $GREETING $(cat /etc/motd)"}) {
		t.Errorf("Cmd after the plugin's step = %q, want the Dockerfile's CMD kept", img[0].Config.Cmd)
	}
}
