package launch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hull-project/hull/core/container"
	"github.com/hull-project/hull/isolation"
	"github.com/hull-project/hull/plugins/network"
)

// journal records what the fakes were asked to do, in order.
type journal struct{ events []string }

func (j *journal) add(format string, args ...any) {
	j.events = append(j.events, fmt.Sprintf(format, args...))
}

func (j *journal) count(event string) int {
	n := 0
	for _, e := range j.events {
		if e == event {
			n++
		}
	}
	return n
}

type fakeSandbox struct {
	j        *journal
	enterErr error
}

func (s *fakeSandbox) Enter(pid int) error { s.j.add("sandbox enter %d", pid); return s.enterErr }
func (s *fakeSandbox) Close()              { s.j.add("sandbox close") }

type fakeAttachment struct {
	j        *journal
	setupErr error
	closeErr error
	keep     []*os.File
	stays    bool // Handover refuses: the network needs its starter
	setUp    bool
}

// Handover has its descriptors once the network is set up, as
// slirp4netns's exit fd exists only then.
func (a *fakeAttachment) Handover() ([]*os.File, bool) {
	if !a.setUp {
		return nil, !a.stays
	}
	return a.keep, !a.stays
}

func (a *fakeAttachment) Setup(ctx context.Context, pid int) (network.Result, error) {
	a.j.add("network setup %d", pid)
	a.setUp = true
	return network.Result{Address: "10.0.2.100/24", Gateway: "10.0.2.2", DNS: []string{"10.0.2.3"}}, a.setupErr
}

func (a *fakeAttachment) Close() error { a.j.add("network close"); return a.closeErr }

// fakes is one test's launcher and what its fakes do.
type fakes struct {
	j        journal
	openErr  error
	noNet    bool  // open returns no attachment (none, host)
	startErr error // returned before the Created hook runs
	att      *fakeAttachment
	hooks    isolation.Hooks
	stays    bool // the attachment cannot be handed over
	detached bool // the spec the start got asked for CLONE_PARENT
}

func (f *fakes) launcher() *Launcher {
	f.att = &fakeAttachment{j: &f.j, stays: f.stays, keep: []*os.File{os.Stdin}}
	return &Launcher{
		open: func(m network.Mode, o network.OpenOptions) (attachment, error) {
			f.j.add("network open %s", m.Name)
			if f.openErr != nil || f.noNet {
				return nil, f.openErr
			}
			return f.att, nil
		},
		start: func(spec *isolation.Spec, stdio isolation.Stdio, h isolation.Hooks) (*isolation.Process, error) {
			f.j.add("start")
			f.hooks, f.detached = h, spec.Detach
			if f.startErr != nil {
				return nil, f.startErr
			}
			if h.Created != nil {
				if err := h.Created(42); err != nil {
					return nil, err
				}
			}
			f.j.add("spec sent")
			return &isolation.Process{Pid: 42}, nil
		},
	}
}

func request(f *fakes) Request {
	return Request{
		Spec:    &isolation.Spec{Files: map[string]string{"/etc/apt/apt.conf.d/hull": "keep"}},
		Sandbox: &fakeSandbox{j: &f.j},
		Network: &Network{Mode: network.Mode{Name: "slirp4netns"},
			Etc: container.EtcInput{Hostname: "box", Network: "slirp4netns"}},
	}
}

// The sandbox is entered before the network is set up, the /etc files
// get the network's address before the spec goes to the child, and Close
// undoes the start in reverse, once.
func TestStartComposesHooksInOrder(t *testing.T) {
	f := &fakes{}
	req := request(f)
	h, err := f.launcher().Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"network open slirp4netns", "start", "sandbox enter 42", "network setup 42", "spec sent"}
	if !slices.Equal(f.j.events, want) {
		t.Fatalf("events %q, want %q", f.j.events, want)
	}
	if h.Pid != 42 || h.Network == nil || h.Network.IP() != "10.0.2.100" {
		t.Fatalf("handle pid %d network %+v", h.Pid, h.Network)
	}
	files := req.Spec.Files
	if files["/etc/apt/apt.conf.d/hull"] != "keep" {
		t.Errorf("the spec's other files were replaced: %q", files)
	}
	if !strings.Contains(files["/etc/hosts"], "10.0.2.100\tbox") || !strings.Contains(files["/etc/resolv.conf"], "nameserver 10.0.2.3") ||
		files["/etc/hostname"] != "box\n" {
		t.Errorf("etc files without the network's address: %q", files)
	}
	f.j.events = nil
	h.Close()
	h.Close()
	if want := []string{"network close", "sandbox close"}; !slices.Equal(f.j.events, want) {
		t.Fatalf("close events %q, want %q", f.j.events, want)
	}
}

// Every way a start fails closes the network and the sandbox exactly once
// and returns no handle.
func TestStartTearsDownOnEveryError(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name   string
		set    func(f *fakes, req *Request)
		opened bool // the network was opened (and must be closed)
	}{
		{"network open", func(f *fakes, req *Request) { f.openErr = boom }, false},
		{"isolation start", func(f *fakes, req *Request) { f.startErr = boom }, true},
		{"sandbox enter", func(f *fakes, req *Request) { req.Sandbox.(*fakeSandbox).enterErr = boom }, true},
		{"network setup", func(f *fakes, req *Request) { f.att.setupErr = boom }, true},
		{"etc files", func(f *fakes, req *Request) { req.Network.Etc.ExtraHosts = []string{"no address"} }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakes{}
			l := f.launcher()
			req := request(f)
			tc.set(f, &req)
			h, err := l.Start(context.Background(), req)
			if err == nil || h != nil {
				t.Fatalf("Start = %v, %v; want an error and no handle", h, err)
			}
			if tc.name != "etc files" && !errors.Is(err, boom) {
				t.Errorf("error %v, want %v", err, boom)
			}
			if n := f.j.count("sandbox close"); n != 1 {
				t.Errorf("sandbox closed %d times, want once: %q", n, f.j.events)
			}
			want := 0
			if tc.opened {
				want = 1
			}
			if n := f.j.count("network close"); n != want {
				t.Errorf("network closed %d times, want %d: %q", n, want, f.j.events)
			}
			if slices.Contains(f.j.events, "spec sent") {
				t.Errorf("the spec went to the child after a failed hook: %q", f.j.events)
			}
		})
	}
}

// A start without a sandbox or network (a task of hull's own) has no
// hook, and one whose network needs nothing (none, host) keeps the spec's
// /etc files.
func TestStartWithoutSandboxOrNetwork(t *testing.T) {
	f := &fakes{}
	h, err := f.launcher().Start(context.Background(), Request{Spec: &isolation.Spec{}})
	if err != nil {
		t.Fatal(err)
	}
	if f.hooks.Created != nil {
		t.Error("a task got a Created hook")
	}
	h.Close()
	if want := []string{"start", "spec sent"}; !slices.Equal(f.j.events, want) {
		t.Fatalf("events %q, want %q", f.j.events, want)
	}

	f = &fakes{noNet: true}
	req := request(f)
	req.Network.Mode.Name = "none"
	if h, err = f.launcher().Start(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if h.Network != nil || len(req.Spec.Files) != 1 {
		t.Errorf("network %+v, files %q: want none and the spec's own", h.Network, req.Spec.Files)
	}
	h.Close()
	want := []string{"network open none", "start", "sandbox enter 42", "spec sent", "sandbox close"}
	if !slices.Equal(f.j.events, want) {
		t.Fatalf("events %q, want %q", f.j.events, want)
	}
}

// A network that fails to come down does not keep the sandbox up.
func TestCloseAfterNetworkTeardownError(t *testing.T) {
	f := &fakes{}
	l := f.launcher()
	f.att.closeErr = errors.New("teardown")
	h, err := l.Start(context.Background(), request(f))
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if f.j.count("sandbox close") != 1 {
		t.Fatalf("sandbox not closed: %q", f.j.events)
	}
}

// A pod member joins its infra's network: a start that joins another
// process's namespaces and asks for a network of its own is refused
// before anything is opened, and its sandbox is closed.
func TestStartRefusesJoinWithNetwork(t *testing.T) {
	f := &fakes{}
	req := request(f)
	req.Spec.Join = &isolation.Join{Pid: 7, Namespaces: []string{"net"}}
	if _, err := f.launcher().Start(context.Background(), req); err == nil {
		t.Fatal("a joining start with a network of its own was accepted")
	}
	if want := []string{"sandbox close"}; !slices.Equal(f.j.events, want) {
		t.Fatalf("events %q, want %q", f.j.events, want)
	}
	req.Network = nil
	f.j.events = nil
	if _, err := f.launcher().Start(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start", "sandbox enter 42", "spec sent"}; !slices.Equal(f.j.events, want) {
		t.Fatalf("events %q, want %q", f.j.events, want)
	}
}

// A detached start is granted only where nothing of the caller must stay:
// the spec asks isolation for CLONE_PARENT and the handle carries what
// keeps the network up; a network that needs its starter, or a pod
// member, is started attached, and the caller has to stay.
func TestStartDetach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stays   bool
		noNet   bool
		join    bool
		hostPID bool
		want    bool
		keep    int
	}{
		{name: "slirp4netns", want: true, keep: 1},
		{name: "none", noNet: true, want: true},
		{name: "pasta", stays: true},
		{name: "pod member", noNet: true, join: true},
		{name: "pid host", noNet: true, hostPID: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakes{stays: tc.stays, noNet: tc.noNet}
			req := request(f)
			req.Detach = true
			if tc.join {
				req.Network, req.Spec.Join = nil, &isolation.Join{Pid: 7}
			}
			req.Spec.HostPID = tc.hostPID
			h, err := f.launcher().Start(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if h.Detached != tc.want || f.detached != tc.want || len(h.Keep) != tc.keep {
				t.Fatalf("detached %v (spec %v), keep %d; want %v, %d", h.Detached, f.detached, len(h.Keep), tc.want, tc.keep)
			}
		})
	}
}
