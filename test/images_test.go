package test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	shortIDRe = regexp.MustCompile(`^[0-9a-f]{12}$`)
	fullIDRe  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// importID imports tarball as ref and returns the id import printed.
func importID(t *testing.T, s *store, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(s.mustHull(t, append([]string{"import"}, args...)...))
	if !fullIDRe.MatchString(id) {
		t.Fatalf("import printed %q, want sha256:<64 hex>", id)
	}
	return id
}

func TestImagesListing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	id := importID(t, s, busyboxTar, "busybox")
	s.mustHull(t, "tag", "busybox", "mybox:v1")

	table := s.mustHull(t, "images")
	header := strings.Fields(lines(table)[0])
	if !slices.Equal(header, []string{"REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"}) {
		t.Errorf("images header %q", lines(table)[0])
	}
	short := strings.TrimPrefix(id, "sha256:")[:12]
	if !hasRow(table, "busybox", "latest", short) || !hasRow(table, "mybox", "v1", short) {
		t.Errorf("images lacks a row per tag with id %s:\n%s", short, table)
	}
	if !regexp.MustCompile(`busybox +latest +` + short + ` +.+ago +[0-9.]+[kM]B\n`).MatchString(table) {
		t.Errorf("busybox row lacks CREATED/SIZE:\n%s", table)
	}
	// CREATED may tick between the two calls: compare the rest.
	ago := regexp.MustCompile(`\s+(About an? \w+|Less than a second|\d+ \w+) ago\s+`)
	same := func(table string) []string {
		var out []string
		for _, l := range lines(table) {
			out = append(out, strings.Join(strings.Fields(ago.ReplaceAllString(l, " AGO ")), " "))
		}
		return out
	}
	if got := s.mustHull(t, "image", "ls"); !slices.Equal(same(got), same(table)) {
		t.Errorf("image ls differs from images:\n%s", got)
	}

	// -q lists each image once, however many tags it has.
	if q := lines(s.mustHull(t, "images", "-q")); len(q) != 1 || q[0] != short {
		t.Errorf("images -q: %q, want [%s]", q, short)
	}
	if q := lines(s.mustHull(t, "images", "-q", "--no-trunc")); len(q) != 1 || q[0] != id {
		t.Errorf("images -q --no-trunc: %q, want [%s]", q, id)
	}
	if nt := s.mustHull(t, "images", "--no-trunc"); !hasRow(nt, "busybox", "latest", id) {
		t.Errorf("images --no-trunc lacks the full id:\n%s", nt)
	}
	refs := lines(s.mustHull(t, "images", "--format", "{{.Repository}}:{{.Tag}}"))
	slices.Sort(refs)
	if !slices.Equal(refs, []string{"busybox:latest", "mybox:v1"}) {
		t.Errorf("images --format {{.Repository}}:{{.Tag}}: %q", refs)
	}
	if got := lines(s.mustHull(t, "images", "--format", "{{.ID}}", "mybox")); !slices.Equal(got, []string{short}) {
		t.Errorf("images mybox --format {{.ID}}: %q, want [%s]", got, short)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines(s.mustHull(t, "images", "--format", "json", "mybox"))[0]), &row); err != nil || row["Tag"] != "v1" {
		t.Errorf("images --format json: %v, %v", row, err)
	}
	if _, errs, code := s.hull(t, "images", "--format", "{{.Nope"); code != 125 {
		t.Errorf("bad template: exit %d, want 125", code)
	} else {
		oneLineError(t, errs)
	}
}

// A re-import under the same name leaves the old image dangling: the
// dangling filter tells them apart.
func TestImagesDanglingFilter(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	old := importID(t, s, busyboxTar, "busybox")
	entries, err := busyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	other := makeTar(t, append(entries, tarEntry{Name: "etc/other", Body: []byte("x")})...)
	current := importID(t, s, other, "busybox")
	if got := lines(s.mustHull(t, "images", "-q", "--no-trunc", "--filter", "dangling=true")); !slices.Equal(got, []string{old}) {
		t.Errorf("--filter dangling=true: %q, want [%s]", got, old)
	}
	if got := lines(s.mustHull(t, "images", "-q", "--no-trunc", "--filter", "dangling=false")); !slices.Equal(got, []string{current}) {
		t.Errorf("--filter dangling=false: %q, want [%s]", got, current)
	}
	if table := s.mustHull(t, "images", "-f", "dangling=true"); !hasRow(table, "<none>", "<none>") || hasRow(table, "busybox") {
		t.Errorf("images -f dangling=true:\n%s", table)
	}
	if _, errs, code := s.hull(t, "images", "--filter", "bogus=1"); code != 125 {
		t.Errorf("unknown filter: exit %d, want 125", code)
	} else {
		oneLineError(t, errs)
	}
}

func TestRmiAllAndImageRm(t *testing.T) {
	t.Parallel()
	s := withBusybox(t)
	importID(t, s, busyboxTar, "second")
	s.mustHull(t, "image", "rm", "second")
	if images := s.mustHull(t, "images"); hasRow(images, "second") || !hasRow(images, "busybox", "latest") {
		t.Errorf("image rm second:\n%s", images)
	}
	importID(t, s, "-c", "ENV X=1", busyboxTar, "third")
	s.mustHull(t, "run", "--name", "user", "third", "true")
	// The image a container uses is refused without -f; the others go.
	if _, errs, code := s.hull(t, "rmi", "-a"); code == 0 {
		t.Errorf("rmi -a removed an image in use")
	} else if !strings.Contains(errs, "third") && !strings.Contains(errs, "user") && !strings.Contains(errs, "container") {
		t.Errorf("rmi -a error does not say what is in use: %q", errs)
	}
	if got := lines(s.mustHull(t, "images", "--format", "{{.Repository}}")); !slices.Equal(got, []string{"third"}) {
		t.Errorf("after rmi -a, images: %q, want only third (in use)", got)
	}
	// -f untags the image in use; it stays, dangling, while the container
	// needs its layers, and prune removes it once the container is gone.
	s.mustHull(t, "rmi", "-a", "-f")
	if got := lines(s.mustHull(t, "images", "--format", "{{.Repository}}:{{.Tag}}")); !slices.Equal(got, []string{"<none>:<none>"}) {
		t.Errorf("images after rmi -a -f: %q, want only the dangling image in use", got)
	}
	s.mustHull(t, "rm", "user")
	s.mustHull(t, "image", "prune", "-f")
	if q := s.mustHull(t, "images", "-q"); strings.TrimSpace(q) != "" {
		t.Errorf("images -q after rm and prune: %q", q)
	}
	// Layers of removed images are gone from the store too.
	if ents, err := os.ReadDir(s.root + "/layers"); err == nil {
		for _, e := range ents {
			// Per-layer lock files stay: unlinking a lock file another
			// process may hold would let two unpack one layer at once.
			if !strings.HasPrefix(e.Name(), ".") && !strings.HasSuffix(e.Name(), ".lock") {
				t.Errorf("layers/%s left after every image was removed", e.Name())
			}
		}
	}
}

func TestHistoryFlags(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	id := importID(t, s, "-m", "made by the test", busyboxTar, "busybox")
	if q := lines(s.mustHull(t, "history", "-q", "busybox")); len(q) != 1 || q[0] != strings.TrimPrefix(id, "sha256:")[:12] {
		t.Errorf("history -q: %q, want the short id", q)
	}
	if q := lines(s.mustHull(t, "history", "-q", "--no-trunc", "busybox")); len(q) != 1 || q[0] != id {
		t.Errorf("history -q --no-trunc: %q, want [%s]", q, id)
	}
	table := s.mustHull(t, "history", "busybox")
	if l := lines(table); len(l) != 2 || !strings.Contains(l[1], "made by the test") || !strings.Contains(l[1], "MB") {
		t.Errorf("history: want the layer with its size and the import message:\n%s", table)
	}
	if _, errs, code := s.hull(t, "history", "nosuch"); code == 0 {
		t.Errorf("history of a missing image succeeded")
	} else {
		oneLineError(t, errs)
	}
}

// imageJSON is the part of Docker's image inspect output the tests read.
type imageJSON struct {
	Id       string
	RepoTags []string
	Comment  string
	Os       string
	Config   struct {
		Env          []string
		Cmd          []string
		Entrypoint   []string
		WorkingDir   string
		User         string
		Labels       map[string]string
		ExposedPorts map[string]struct{}
	}
	RootFS struct {
		Type   string
		Layers []string
	}
}

func TestImageInspect(t *testing.T) {
	t.Parallel()
	s := withConfigured(t)
	out := s.mustHull(t, "image", "inspect", "cfg")
	var imgs []imageJSON
	if err := json.Unmarshal([]byte(out), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("image inspect is not a JSON array of one image (%v):\n%s", err, out)
	}
	img := imgs[0]
	if !fullIDRe.MatchString(img.Id) || !slices.Equal(img.RepoTags, []string{"cfg:latest"}) || img.Os != "linux" {
		t.Errorf("Id %q RepoTags %q Os %q", img.Id, img.RepoTags, img.Os)
	}
	if img.RootFS.Type != "layers" || len(img.RootFS.Layers) != 1 {
		t.Errorf("RootFS %+v, want one layer", img.RootFS)
	}
	c := img.Config
	if !slices.Equal(c.Env, []string{"FOO=bar", "GREETING=hello"}) || c.WorkingDir != "/srv/app" || c.User != "user1" ||
		!slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c"}) || len(c.Cmd) != 1 {
		t.Errorf("Config from --change: %+v", c)
	}
	if c.Labels["org.example.a"] != "b" || c.Labels["org.example.c"] != "d e" {
		t.Errorf("Labels %v", c.Labels)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 2 {
		t.Errorf("ExposedPorts %v, want 8080/tcp and 53/udp", c.ExposedPorts)
	}
	// --format sees Docker's field names.
	formats := map[string]string{
		"{{.Id}}":         img.Id,
		"{{.Config.Env}}": "[FOO=bar GREETING=hello]",
		"{{index .Config.Labels \"org.example.c\"}}": "d e",
		"{{json .Config.ExposedPorts}}":              `{"53/udp":{},"8080/tcp":{}}`,
		"{{.Config.Entrypoint}}":                     "[/bin/sh -c]",
		"{{.Config.User}} {{.Config.WorkingDir}}":    "user1 /srv/app",
	}
	for f, want := range formats {
		if got := strings.TrimSpace(s.mustHull(t, "inspect", "--format", f, "cfg")); got != want {
			t.Errorf("inspect --format %s: %q, want %q", f, got, want)
		}
	}
	// image inspect does not find containers; inspect of nothing fails.
	s.mustHull(t, "run", "--name", "ctr", "busybox", "true")
	if _, errs, code := s.hull(t, "image", "inspect", "ctr"); code == 0 {
		t.Errorf("image inspect of a container succeeded")
	} else {
		oneLineError(t, errs)
	}
	if out, _, code := s.hull(t, "inspect", "nosuch"); code == 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("inspect nosuch: exit %d, stdout %q; want failure and []", code, out)
	}
}

// import reads a tarball from stdin with "-", and --change accepts each
// instruction docker import does; others are refused without an image.
func TestImportChanges(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	f, err := os.Open(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, errs, code := s.hullIn(t, f, "import", "--change", "CMD echo from stdin", "-", "fromstdin:v2")
	if code != 0 || !fullIDRe.MatchString(strings.TrimSpace(out)) {
		t.Fatalf("import -: exit %d, %q %q", code, out, errs)
	}
	// CMD in shell form runs through /bin/sh -c, as Docker.
	if got := s.mustHull(t, "run", "--rm", "fromstdin:v2"); got != "from stdin\n" {
		t.Errorf("run of shell-form CMD printed %q", got)
	}
	if got := strings.TrimSpace(s.mustHull(t, "inspect", "-f", "{{.Config.Cmd}}", "fromstdin:v2")); got != "[/bin/sh -c echo from stdin]" {
		t.Errorf("shell-form CMD stored as %q", got)
	}
	for _, bad := range []string{"RUN true", "FROM scratch", "NOPE x", "EXPOSE notaport"} {
		if _, errs, code := s.hull(t, "import", "-c", bad, busyboxTar, "bad"); code != 125 {
			t.Errorf("--change %q: exit %d, want 125", bad, code)
		} else {
			oneLineError(t, errs)
		}
	}
	if images := s.mustHull(t, "images"); hasRow(images, "bad") {
		t.Errorf("a refused --change still created an image:\n%s", images)
	}
}
