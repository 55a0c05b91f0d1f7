package child

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hull-project/hull/isolation"
)

// writeSysctls writes --sysctl values through the container's own /proc
// (mounted by now), before maskPaths makes /proc/sys read-only. Core let
// through only namespaced keys, so each write changes the container's
// namespaces, never the host. The path is resolved inside the root: the
// key cannot climb out of /proc/sys.
func writeSysctls(spec *isolation.Spec) error {
	keys := make([]string, 0, len(spec.Sysctls))
	for k := range spec.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(k, "..") || strings.ContainsAny(k, "/\x00") {
			return fmt.Errorf("sysctl %q: invalid key", k)
		}
		f, err := openFileIn(spec.Rootfs.MountDir, "/proc/sys/"+strings.ReplaceAll(k, ".", "/"), unix.O_WRONLY|unix.O_NOFOLLOW)
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", k, err)
		}
		_, err = f.WriteString(spec.Sysctls[k])
		f.Close()
		if err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", k, spec.Sysctls[k], err)
		}
	}
	return nil
}
