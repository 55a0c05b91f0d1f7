package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestIntersperse(t *testing.T) {
	app := App()
	for _, tc := range []struct{ in, want string }{
		// Flags after the arguments move in front of them.
		{"hull rm c1 -f", "hull rm -f c1"},
		{"hull rm c1 c2 --force --volumes", "hull rm --force --volumes c1 c2"},
		{"hull save img -o img.tar", "hull save -o img.tar img"},
		{"hull --root /s save img --output=img.tar", "hull --root /s save --output=img.tar img"},
		{"hull logs c1 --tail 5 -t", "hull logs --tail 5 -t c1"},
		{"hull container rm c1 -f", "hull container rm -f c1"},
		{"hull image ls busybox -q", "hull image ls -q busybox"},
		{"hull network create n1 --subnet 10.9.0.0/24", "hull network create --subnet 10.9.0.0/24 n1"},
		// A flag's value that looks like an argument stays with it.
		{"hull stop -t 1 c1", "hull stop -t 1 c1"},
		{"hull stop c1 -t 1", "hull stop -t 1 c1"},
		// A repeatable flag's short name takes a value too (build -t).
		{"hull build -t x:1 -o out ctx", "hull build -t x:1 -o out ctx"},
		{"hull build ctx -t x:1 --label a=b", "hull build -t x:1 --label a=b ctx"},
		// Nothing after "--" moves.
		{"hull rm c1 -- -f", "hull rm c1 -- -f"},
		// run, create, exec: what follows the image or container is the
		// container's command line.
		{"hull run busybox ls -l", "hull run busybox ls -l"},
		{"hull run --rm busybox sh -c 'x' -d", "hull run --rm busybox sh -c 'x' -d"},
		{"hull container run busybox ls -a", "hull container run busybox ls -a"},
		{"hull exec c1 ls -la", "hull exec c1 ls -la"},
		{"hull create busybox top -b", "hull create busybox top -b"},
		// top: what follows the container is ps's options.
		{"hull top c1 -o pid,user,comm", "hull top c1 -o pid,user,comm"},
		{"hull container top c1 -ef", "hull container top c1 -ef"},
		// Help, wherever it is.
		{"hull rm c1 --help", "hull rm --help"},
		{"hull save img -o x --help", "hull save --help"},
		// ... but not as a flag's value, nor after "--".
		{"hull commit -m --help c1 img", "hull commit -m --help c1 img"},
		{"hull commit c1 img -m --help", "hull commit -m --help c1 img"},
		{"hull rm -- --help", "hull rm -- --help"},
		// Unknown commands and flags are left for urfave to report.
		{"hull nosuch a -f", "hull nosuch a -f"},
		{"hull rm c1 --nosuch", "hull rm --nosuch c1"},
	} {
		got := strings.Join(intersperse(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	// The words themselves are never changed, only their order.
	in := strings.Fields("hull save img -o x.tar other")
	out := intersperse(app, in)
	a, b := slices.Clone(in), slices.Clone(out)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("%q became %q", in, out)
	}
}
