package lease

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SealedMemfd copies r into a memfd named name and seals it against any
// further change: the executable to run when no cached copy can be used
// (none can be made, or the owner spoiled it under the lease). Sealed, it
// cannot change between the caller's exec and the kernel's read of it.
func SealedMemfd(name string, r io.Reader) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("create memfd %s: %w", name, err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:"+name)
	if _, err := io.Copy(mem, r); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy %s into its memfd: %w", name, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("seal the memfd of %s: %w", name, err)
	}
	return mem, nil
}
