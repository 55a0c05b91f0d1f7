package role

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{errors.New("unpack: no space"), 1, "unpack: no space\n"},
		{&Exit{Code: 127}, 127, ""},
		{fmt.Errorf("wrapped: %w", &Exit{Code: 126, Msg: "hull: unshare: permission denied"}), 126, "hull: unshare: permission denied\n"},
		{&Exit{}, 0, ""},
	} {
		var b strings.Builder
		if code := Status(c.err, &b); code != c.code || b.String() != c.stderr {
			t.Errorf("%v: status %d, stderr %q; want %d, %q", c.err, code, b.String(), c.code, c.stderr)
		}
	}
}
