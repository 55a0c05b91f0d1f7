package events

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

// Concurrent appends, with rotations among them, leave only whole lines.
func TestAppendConcurrentRotate(t *testing.T) {
	dir := t.TempDir()
	MaxBytes = 20000
	defer func() { MaxBytes = 1 << 20 }()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				attrs := map[string]string{"name": strings.Repeat("x", 100+w*37)}
				if err := Append(dir, New("container", "start", "abc", attrs)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range []string{File(dir), File(dir) + ".1"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(data)) > MaxBytes {
			t.Errorf("%s is %d bytes, over the cap", p, len(data))
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if !json.Valid([]byte(line)) {
				t.Fatalf("a torn line in %s: %q", p, line)
			}
		}
	}
	evs, _, err := Read(dir)
	if err != nil || len(evs) == 0 {
		t.Fatalf("read: %d events, %v", len(evs), err)
	}
	for _, e := range evs {
		if e.Action != "start" || e.Actor.ID != "abc" {
			t.Fatalf("event read back: %+v", e)
		}
	}
}
