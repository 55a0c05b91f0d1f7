package isolation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// stage2Arg follows the role in the argv of a child that re-executes
// itself to regain its capabilities (AwaitMapping).
const stage2Arg = "stage2"

// StartError is what the child reports on the error pipe when it cannot
// start the container's command.
type StartError struct {
	// Code is 127 (not found), 126 (cannot invoke) or 125 (setup failed).
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func (e *StartError) Error() string { return e.Msg }

// Unwrap lets callers test errors.Is(err, ErrCommandNotFound).
func (e *StartError) Unwrap() error {
	switch e.Code {
	case 127:
		return ErrCommandNotFound
	case 126:
		return ErrCommandNotInvokable
	}
	return nil
}

// ReportError writes e to the error pipe; the child calls it just before
// exiting.
func ReportError(w io.Writer, e *StartError) {
	_ = json.NewEncoder(w).Encode(e)
}

// readStartResult reads the child's error pipe until EOF: nothing means the
// command was executed. A report with code 0 also means started (Exec's
// stage sends one, since nsenter holds the pipe open).
func readStartResult(r io.Reader) error {
	var se StartError
	err := json.NewDecoder(r).Decode(&se)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("container init: bad start report: %w", err)
	case se.Code == 0:
		return nil
	}
	return &se
}

// AwaitMapping is the first thing a re-executed child does: wait on fd 3
// until the parent has written the id maps, then make sure the process holds
// the namespace's capabilities, re-executing itself once if the first execve
// happened before the map existed. It returns fd 3 for the rest of the
// message stream.
func AwaitMapping() (*os.File, error) {
	f := os.NewFile(3, "spec-pipe")
	if len(os.Args) < 3 || os.Args[2] != stage2Arg {
		var b [1]byte
		if _, err := io.ReadFull(f, b[:]); err != nil {
			return nil, fmt.Errorf("wait for id mapping: %w", err)
		}
		if !hasSysAdmin() {
			args := append([]string{os.Args[0], os.Args[1], stage2Arg}, os.Args[2:]...)
			return nil, reexec(args)
		}
	}
	return f, nil
}

var errNoReexec = errors.New("re-exec returned")
