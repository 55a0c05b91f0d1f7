package builders

import (
	"errors"
	"strings"
	"testing"

	"github.com/hull-project/hull/builders/dockerfile"
)

// Every keyword of every stage is resolved before anything runs: the
// first one without a plugin, or whose plugin is refused, fails the build
// naming its line.
func TestResolveAll(t *testing.T) {
	known := map[string]bool{"RUN": true, "COPY": true, "ENV": true, "PINNED": true}
	resolve := func(k string) (bool, error) {
		if k == "PINNED" {
			return true, errors.New("plugin /p/pinned: pin: checksum mismatch")
		}
		return known[k], nil
	}
	cases := []struct{ df, want string }{
		{"FROM a\nARG X\nRUN true\nENV A=b\n", ""},
		// The unknown keyword is in a stage the target does not need,
		// after a RUN: still found first.
		{"FROM a AS one\nRUN touch /canary\nFROM b AS two\nCOPY x y\nTEMPLATE a b\nFROM c\nRUN true\n",
			"Dockerfile:5: unknown instruction: TEMPLATE"},
		{"FROM a\nRUN true\nPINNED x\n", "Dockerfile:3: PINNED: plugin /p/pinned: pin: checksum mismatch"},
	}
	for _, c := range cases {
		df, err := dockerfile.Parse(strings.NewReader(c.df), "Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		err = resolveAll(df, Options{DockerfileName: "Dockerfile"}, resolve)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.df, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: err %v, want %q", c.df, err, c.want)
		}
	}
}
