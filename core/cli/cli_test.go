package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/core/image"
)

// parseRun runs the real flag parsing of `run` and returns the options
// its action would pass to core.
func parseRun(t *testing.T, args ...string) (core.RunOptions, int, string) {
	t.Helper()
	app := App()
	var stderr bytes.Buffer
	app.Writer, app.ErrWriter = &bytes.Buffer{}, &stderr
	var got core.RunOptions
	for _, c := range app.Commands {
		if c.Name == "run" {
			c.Action = func(c *cli.Context) error {
				if err := needArgs(c, 1, -1); err != nil {
					return err
				}
				got = runOptions(c)
				return nil
			}
		}
	}
	code := run(app, append([]string{"hull", "run"}, args...))
	return got, code, stderr.String()
}

func TestRunFlags(t *testing.T) {
	ep := ""
	tests := []struct {
		args []string
		want core.RunOptions
	}{
		{[]string{"busybox", "ls", "-l", "/"}, core.RunOptions{Image: "busybox",
			Options: container.Options{Cmd: []string{"ls", "-l", "/"}, Network: "bridge"}}},
		{[]string{"-it", "--rm", "busybox"}, core.RunOptions{Image: "busybox",
			Options: container.Options{Tty: true, Interactive: true, AutoRemove: true, Network: "bridge"}}},
		{[]string{"-e", "A=1,2", "--env", "B", "--env-file", "f", "-w", "/w", "-u", "1:2", "--name", "n",
			"-h", "host", "-v", "/a:/b:ro", "--mount", "type=tmpfs,target=/t", "--tmpfs", "/x:size=1m",
			"--read-only", "--init", "--security-opt", "no-new-privileges", "--cap-add", "NET_ADMIN",
			"--cap-drop", "ALL", "--network", "host", "-d", "img", "sh", "-c", "echo --rm"},
			core.RunOptions{Image: "img", Detach: true, Options: container.Options{
				Env: []string{"A=1,2", "B"}, EnvFiles: []string{"f"}, Workdir: "/w", User: "1:2", Name: "n",
				Hostname: "host", Volumes: []string{"/a:/b:ro"}, Mounts: []string{"type=tmpfs,target=/t"},
				Tmpfs: []string{"/x:size=1m"}, ReadOnly: true, Init: true, SecurityOpt: []string{"no-new-privileges"},
				CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"}, Network: "host",
				Cmd: []string{"sh", "-c", "echo --rm"}}}},
		{[]string{"--entrypoint", "", "img"}, core.RunOptions{Image: "img",
			Options: container.Options{Entrypoint: &ep, Network: "bridge"}}},
		{[]string{"--net=host", "img", "--", "x"}, core.RunOptions{Image: "img",
			Options: container.Options{Network: "host", Cmd: []string{"--", "x"}}}},
	}
	for _, tt := range tests {
		got, code, stderr := parseRun(t, tt.args...)
		if code != 0 {
			t.Errorf("%q: exit %d: %s", tt.args, code, stderr)
			continue
		}
		normalize(&got)
		normalize(&tt.want)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.args, got, tt.want)
		}
	}
}

// normalize makes empty slices nil so that table entries can omit them.
func normalize(o *core.RunOptions) {
	for _, p := range []*[]string{&o.Cmd, &o.Env, &o.EnvFiles, &o.Volumes, &o.Mounts, &o.Tmpfs, &o.SecurityOpt, &o.CapAdd, &o.CapDrop} {
		if len(*p) == 0 {
			*p = nil
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	_, code, stderr := parseRun(t, "--bogus", "img")
	if code != 125 || !strings.Contains(stderr, "hull: unknown flag: --bogus") || !strings.Contains(stderr, "See 'hull run --help'.") {
		t.Errorf("bad flag: exit %d, %q", code, stderr)
	}
	_, code, stderr = parseRun(t)
	if code != 125 || !strings.Contains(stderr, `"hull run" requires at least 1 argument.`) {
		t.Errorf("no image: exit %d, %q", code, stderr)
	}
}

func TestExitCodes(t *testing.T) {
	app := App()
	var stderr bytes.Buffer
	app.ErrWriter = &stderr
	app.Commands = append(app.Commands,
		&cli.Command{Name: "container-exit", Action: func(*cli.Context) error { return exitCode(3, nil) }},
		&cli.Command{Name: "fails", Action: func(*cli.Context) error { return errFake }})
	if code := run(app, []string{"hull", "container-exit"}); code != 3 || stderr.Len() != 0 {
		t.Errorf("container exit: %d %q", code, stderr.String())
	}
	if code := run(app, []string{"hull", "fails"}); code != 125 || stderr.String() != "hull: it broke\n" {
		t.Errorf("hull error: %d %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(app, []string{"hull", "nosuchcommand"}); code != 125 || !strings.Contains(stderr.String(), "'nosuchcommand' is not a hull command") {
		t.Errorf("unknown command: %d %q", code, stderr.String())
	}
}

var errFake = errorString("it broke")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestListFormatTable(t *testing.T) {
	rows := []imageRow{
		{Repository: "busybox", Tag: "latest", ID: "0123456789ab", CreatedSince: "2 weeks ago", Size: "4.26MB"},
		{Repository: "<none>", Tag: "<none>", ID: "ba9876543210", CreatedSince: "3 hours ago", Size: "1.1kB"},
	}
	var out bytes.Buffer
	lf, err := newListFormat("", defaultImagesTable, imageHeaders)
	if err != nil {
		t.Fatal(err)
	}
	if err := lf.write(&out, toAny(rows)); err != nil {
		t.Fatal(err)
	}
	want := "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n" +
		"busybox      latest    0123456789ab   2 weeks ago   4.26MB\n" +
		"<none>       <none>    ba9876543210   3 hours ago   1.1kB\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	for format, want := range map[string]string{
		"{{.Repository}}:{{.Tag}}":             "busybox:latest\n<none>:<none>\n",
		`table {{.ID}}\t{{.Tag}}`:              "IMAGE ID       TAG\n0123456789ab   latest\nba9876543210   <none>\n",
		"{{upper .Tag}} {{lower .Size}}":       "LATEST 4.26mb\n<NONE> 1.1kb\n",
		`{{join (split .Repository "b") "-"}}`: "-usy-ox\n<none>\n",
	} {
		out.Reset()
		lf, err := newListFormat(format, defaultImagesTable, imageHeaders)
		if err != nil {
			t.Fatal(err)
		}
		if err := lf.write(&out, toAny(rows)); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%q: got %q want %q", format, out.String(), want)
		}
	}
	out.Reset()
	lf, _ = newListFormat("json", defaultImagesTable, imageHeaders)
	_ = lf.write(&out, toAny(rows[:1]))
	if !strings.HasPrefix(out.String(), `{"Containers":"","CreatedAt":"","CreatedSince":"2 weeks ago","Digest":""`) {
		t.Errorf("json: %s", out.String())
	}
	if _, err := newListFormat("{{.Nope", "", nil); err == nil {
		t.Error("bad template accepted")
	}
}

func TestExecuteTemplateFallsBackToJSONNames(t *testing.T) {
	v := core.ImageView{ID: "sha256:abc", RepoTags: []string{"a:b", "c:d"}}
	for format, want := range map[string]string{
		"{{.ID}}":                   "sha256:abc\n",
		"{{.Id}}":                   "sha256:abc\n",
		`{{join .RepoTags ","}}`:    "a:b,c:d\n",
		"{{json .RepoTags}}":        `["a:b","c:d"]` + "\n",
		"{{title \"hello world\"}}": "Hello World\n",
		`{{println "x"}}`:           "x\n\n",
	} {
		tmpl, err := parseTemplate(format)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := executeTemplate(&out, tmpl, v); err != nil || out.String() != want {
			t.Errorf("%q: got %q %v, want %q", format, out.String(), err, want)
		}
	}
}

func TestPsStatus(t *testing.T) {
	now := time.Now()
	tests := []struct {
		s    container.State
		want string
	}{
		{container.State{Status: "created"}, "Created"},
		{container.State{Status: "running", Running: true, StartedAt: now.Add(-3 * time.Second)}, "Up 3 seconds"},
		{container.State{Status: "exited", ExitCode: 2, FinishedAt: now.Add(-2 * time.Minute)}, "Exited (2) 2 minutes ago"},
	}
	for _, tt := range tests {
		if got := status(tt.s, now); got != tt.want {
			t.Errorf("got %q want %q", got, tt.want)
		}
	}
	ct := &container.Container{ID: strings.Repeat("a", 64), Name: "n", Image: "busybox", Path: "sh",
		Args: []string{"-c", "echo a very long command line"}, Created: now.Add(-time.Hour)}
	r := psRow(ct, true, now)
	if r.ID != "aaaaaaaaaaaa" || r.Command != `"sh -c echo a very l…"` || r.RunningFor != "About an hour ago" {
		t.Errorf("row %+v", r)
	}
}

func TestEllipsis(t *testing.T) {
	if got := ellipsis("abcdef", 4); got != "abc…" {
		t.Errorf("got %q", got)
	}
	if got := ellipsis("abc", 4); got != "abc" {
		t.Errorf("got %q", got)
	}
}

func TestRunFlagValuesVerbatim(t *testing.T) {
	got, code, stderr := parseRun(t, "-e", " A = b,c ", "--env", "B=2", "-e", "C=3", "-itv", "/x:/y", "img")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := []string{" A = b,c ", "B=2", "C=3"}; !reflect.DeepEqual(got.Env, want) {
		t.Errorf("env %q, want %q", got.Env, want)
	}
	if !got.Tty || !got.Interactive || !reflect.DeepEqual(got.Volumes, []string{"/x:/y"}) {
		t.Errorf("bundled short flags: %+v", got)
	}
}

func TestImageRows(t *testing.T) {
	now := time.Now()
	imgs := []*image.Image{
		{ID: "sha256:" + strings.Repeat("1", 64), Created: now, Size: 4261550,
			Names: []string{"docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:" + strings.Repeat("d", 64), "example.com/x/y:v1"}},
		{ID: "sha256:" + strings.Repeat("2", 64), Created: now.Add(-time.Hour), Size: 1100},
	}
	rows := imageRows(imgs, false, filters{})
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	if r := rows[0]; r.Repository != "busybox" || r.Tag != "latest" || r.ID != "111111111111" || r.Size != "4.26MB" || r.Digest != "sha256:"+strings.Repeat("d", 64) {
		t.Errorf("row 0 %+v", r)
	}
	if r := rows[1]; r.Repository != "example.com/x/y" || r.Tag != "v1" || r.Digest != "<none>" {
		t.Errorf("row 1 %+v", r)
	}
	if r := rows[2]; r.Repository != "<none>" || r.Tag != "<none>" || r.CreatedSince != "About an hour ago" {
		t.Errorf("row 2 %+v", r)
	}
	f, err := parseFilters([]string{"dangling=true"}, "dangling", "reference", "label")
	if err != nil {
		t.Fatal(err)
	}
	if rows := imageRows(imgs, true, f); len(rows) != 1 || rows[0].ID != "sha256:"+strings.Repeat("2", 64) {
		t.Errorf("dangling rows %+v", rows)
	}
	f, _ = parseFilters([]string{"reference=busy*"}, "reference")
	if rows := imageRows(imgs, false, f); len(rows) != 1 || rows[0].Repository != "busybox" {
		t.Errorf("reference rows %+v", rows)
	}
	for _, bad := range []string{"dangling=maybe", "color=red", "dangling"} {
		if _, err := parseFilters([]string{bad}, "dangling"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHistoryRows(t *testing.T) {
	t0 := time.Now().Add(-48 * time.Hour)
	img := &image.Image{ID: "sha256:" + strings.Repeat("a", 64)}
	img.Config.History = []ocispec.History{
		{Created: &t0, CreatedBy: "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / "},
		{Created: &t0, CreatedBy: "/bin/sh -c #(nop)  CMD [\"sh\"]", EmptyLayer: true},
	}
	img.Manifest.Layers = []ocispec.Descriptor{{Size: 4261550}}
	rows := historyRows(img, false, true)
	if len(rows) != 2 || rows[0].ID != "aaaaaaaaaaaa" || rows[1].ID != "<missing>" {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Size != "0B" || rows[1].Size != "4.26MB" || rows[0].CreatedSince != "2 days ago" {
		t.Errorf("sizes/dates %+v", rows)
	}
	if got := rows[1].CreatedBy; got != "/bin/sh -c #(nop) ADD file:0123456789abcdef0…" {
		t.Errorf("truncated created by %q", got)
	}
}
