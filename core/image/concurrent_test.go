package image

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// workerEnv makes the test binary act as one store worker (see TestMain),
// so that several processes can share a store.
const workerEnv = "HULL_IMAGE_TEST_WORKER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		var root string
		var id int
		fmt.Sscanf(spec, "%d %s", &id, &root)
		s, err := Open(root, fakeUnpacker{})
		if err == nil {
			err = storeWorker(s, id)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// storeWorker imports, tags, unpacks and removes images. Layers are shared
// between workers (content repeats) and one name moves between them, so
// their sweeps and publishes interleave. Removing the moving name may
// race with another worker: ErrNotFound is fine there.
func storeWorker(s *Store, id int) error {
	for j := 0; j < 12; j++ {
		own := fmt.Sprintf("w%d:%d", id, j)
		tb := tarOf(map[string]string{"data": strconv.Itoa(j % 3)})
		img, err := s.Import(bytes.NewReader(tb), ImportOptions{Ref: own})
		if err != nil {
			return fmt.Errorf("worker %d import: %w", id, err)
		}
		if err := s.Tag(own, "moving"); err != nil {
			return fmt.Errorf("worker %d tag: %w", id, err)
		}
		if _, err := s.LayerDirs(img); err != nil {
			return fmt.Errorf("worker %d layers: %w", id, err)
		}
		if j%2 == 1 {
			if _, err := s.Remove(own, RemoveOptions{}); err != nil {
				return fmt.Errorf("worker %d rmi %s: %w", id, own, err)
			}
		}
		if j%4 == 3 {
			if _, err := s.Remove("moving", RemoveOptions{}); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("worker %d rmi moving: %w", id, err)
			}
		}
		if _, err := s.Images(); err != nil {
			return fmt.Errorf("worker %d images: %w", id, err)
		}
	}
	return nil
}

// checkWorkers asserts that every worker's kept images exist, with their
// layers unpackable, and that the store is consistent.
func checkWorkers(t *testing.T, s *Store, workers int) {
	t.Helper()
	checkConsistent(t, s)
	for id := 0; id < workers; id++ {
		for j := 0; j < 12; j++ {
			img, err := s.Lookup(fmt.Sprintf("w%d:%d", id, j))
			if j%2 == 1 {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("w%d:%d should be removed: %v", id, j, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("w%d:%d: %v", id, j, err)
				continue
			}
			if _, err := s.LayerDirs(img); err != nil {
				t.Errorf("w%d:%d layers: %v", id, j, err)
			}
		}
	}
	assertNoTemps(t, s)
}

func TestConcurrentGoroutines(t *testing.T) {
	s := openStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for id := 0; id < 8; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- storeWorker(s, id)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkWorkers(t, s, 8)
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s := openStore(t)
	var cmds []*exec.Cmd
	for id := 0; id < 4; id++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", workerEnv, id, s.root))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		defer func() {
			if out.Len() > 0 {
				t.Logf("worker %d: %s", id, out.String())
			}
		}()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	checkWorkers(t, s, 4)
}
