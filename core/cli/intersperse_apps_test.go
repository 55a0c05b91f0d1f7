//go:build apps

package cli

import (
	"strings"
	"testing"
)

// compose run and exec end in the service's command line, left as it is;
// other compose commands take their flags after the services too.
func TestIntersperseCompose(t *testing.T) {
	app := App()
	for _, tc := range []struct{ in, want string }{
		{"hull compose run web ls -l", "hull compose run web ls -l"},
		{"hull compose exec web sh -c x", "hull compose exec web sh -c x"},
		{"hull compose logs web -f", "hull compose logs -f web"},
	} {
		got := strings.Join(intersperse(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
