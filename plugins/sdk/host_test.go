package sdk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestHostErrorKinds: every kind survives the trip through a gRPC status,
// from an errno (the core) or an sdk error (a fake host).
func TestHostErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
		code codes.Code
	}{
		{&os.PathError{Op: "stat", Path: "/x", Err: syscall.ENOENT}, ErrNotFound, codes.NotFound},
		{&os.PathError{Op: "remove", Path: "/x", Err: syscall.EACCES}, ErrPermission, codes.PermissionDenied},
		{fmt.Errorf("mkdir: %w", syscall.EEXIST), ErrExist, codes.AlreadyExists},
		{fmt.Errorf("remove: %w", syscall.ENOTEMPTY), ErrNotEmpty, codes.FailedPrecondition},
		{fmt.Errorf("list: %w", syscall.ENOTDIR), ErrNotDir, codes.FailedPrecondition},
		{fmt.Errorf("read: %w", syscall.EISDIR), ErrIsDir, codes.FailedPrecondition},
		{fmt.Errorf("stat: %w", syscall.ELOOP), ErrInvalid, codes.InvalidArgument},
		{fmt.Errorf("read: %w", syscall.EFBIG), ErrTooLarge, codes.ResourceExhausted},
		{&fs.PathError{Op: "read", Path: "/y", Err: ErrIsDir}, ErrIsDir, codes.FailedPrecondition},
		{fmt.Errorf("x: %w", ErrNotEmpty), ErrNotEmpty, codes.FailedPrecondition},
		{errors.New("something else"), nil, codes.Unknown},
	} {
		st := StatusError(tc.err)
		if c := status.Code(st); c != tc.code {
			t.Errorf("%v: code %v, want %v", tc.err, c, tc.code)
		}
		got := hostError("op", st)
		if got.Error() != "host op: "+tc.err.Error() {
			t.Errorf("message %q", got.Error())
		}
		for _, k := range kinds {
			if errors.Is(got, k.err) != (k.err == tc.want) {
				t.Errorf("%v: errors.Is(%v) = %v", tc.err, k.err, !(k.err == tc.want))
			}
		}
	}
	// A status without details (another core, another language) still
	// gives the kind its code implies.
	if err := hostError("stat", status.Error(codes.NotFound, "/x: gone")); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bare NotFound: %v", err)
	}
	if hostError("x", nil) != nil || StatusError(nil) != nil {
		t.Errorf("nil is not nil")
	}
}

// Every RunMount field reaches the wire (the core's side reads them back
// in plugins.TestRunMountFromProto).
func TestRunMountToProto(t *testing.T) {
	m := RunMount{Type: "ssh", Target: "/a", Source: "s", From: "f", ID: "gh", Sharing: "locked", Mode: "0600",
		ReadOnly: true, UID: 1, GID: 2, Size: 3, Required: true}
	p := runRequestToProto(7, RunRequest{Args: []string{"true"}, Mounts: []RunMount{m}}).Mounts[0]
	got := RunMount{Type: p.Type, Target: p.Target, Source: p.Source, From: p.From, ID: p.Id, Sharing: p.Sharing,
		Mode: p.Mode, ReadOnly: p.ReadOnly, UID: int(p.Uid), GID: int(p.Gid), Size: p.Size, Required: p.Required}
	if got != m {
		t.Errorf("on the wire %+v, want %+v", got, m)
	}
}
