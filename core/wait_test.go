package core

import (
	"testing"

	"github.com/hull-project/hull/core/events"
)

// Wait's last resort for a --rm container removed before it could read
// the exit: the code of that container's last "die" event, not another's.
func TestDiedWith(t *testing.T) {
	h := &Hull{Paths: Paths{Root: t.TempDir()}}
	if _, ok := h.diedWith("abc"); ok {
		t.Fatal("a code with no event logged")
	}
	for _, e := range []struct{ id, action, code string }{
		{"abc", "die", "1"}, {"abc", "start", ""}, {"abc", "die", "3"}, {"other", "die", "9"}, {"abc", "destroy", ""},
	} {
		attrs := map[string]string{}
		if e.code != "" {
			attrs["exitCode"] = e.code
		}
		if err := events.Append(h.Root, events.New("container", e.action, e.id, attrs)); err != nil {
			t.Fatal(err)
		}
	}
	if code, ok := h.diedWith("abc"); !ok || code != 3 {
		t.Fatalf("diedWith = %d, %v; want 3", code, ok)
	}
	if _, ok := h.diedWith("none"); ok {
		t.Fatal("a code for a container that logged nothing")
	}
}
