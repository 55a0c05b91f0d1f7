package network

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
)

// OpenOptions say which start an Attachment is for.
type OpenOptions struct {
	ContainerID string
	StateDir    string
	Ports       []PortMapping
	// PluginDirs are searched for external plugins (DIR/network/NAME).
	PluginDirs []string
	// Log gets an external plugin's stderr (default os.Stderr).
	Log io.Writer
}

// Attachment is the network of one container start: Open before the
// start, Setup from isolation's Created hook, Close after the container
// ended or failed to start.
type Attachment struct {
	Mode   Mode
	Result Result
	driver Driver
	stop   func() // ends an external plugin's process
	opts   OpenOptions
	setUp  bool
}

// Open prepares mode's driver. It returns nil for none and host, which
// need nothing at start: no process, no cost. Everything that can be
// checked before the container exists is: the driver's program, the
// plugin, the options, the host ports (ErrPortBusy).
func Open(mode Mode, opts OpenOptions) (*Attachment, error) {
	if mode.Name == None || mode.Name == Host {
		if len(opts.Ports) > 0 {
			return nil, fmt.Errorf("published ports need a user-mode network, not --network %s", mode.Name)
		}
		return nil, nil
	}
	ports, err := ReserveHostPorts(opts.Ports)
	if err != nil {
		return nil, err
	}
	opts.Ports = ports
	a := &Attachment{Mode: mode, opts: opts}
	switch mode.Driver() {
	case Slirp4netns:
		if _, err := LookSlirp4netns(); err != nil {
			return nil, err
		}
		a.driver = NewSlirp4netns()
	case Pasta:
		if _, err := LookPasta(); err != nil {
			return nil, err
		}
		a.driver = NewPasta()
	default:
		if a.driver, a.stop, err = launchExternal(mode.Name, opts); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Setup attaches the network to the namespaces of pid (the container's
// init, its id maps written) and validates what the driver reports.
func (a *Attachment) Setup(ctx context.Context, pid int) (Result, error) {
	p := "/proc/" + strconv.Itoa(pid) + "/ns/"
	req := Request{ContainerID: a.opts.ContainerID, Pid: pid, NetNS: p + "net", UserNS: p + "user",
		StateDir: a.opts.StateDir, Ports: a.opts.Ports, Options: a.Mode.Options}
	a.setUp = true
	res, err := a.driver.Setup(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("network %s: %w", a.Mode.Name, err)
	}
	if err := res.Validate(); err != nil {
		return Result{}, fmt.Errorf("network %s: plugin result: %w", a.Mode.Name, err)
	}
	a.Result = res
	return res, nil
}

// Close tears the network down (when Setup was called, even if it
// failed: a half-done setup is undone too) and stops an external plugin.
// It never waits for a helper process to exit. Close on nil is a no-op.
func (a *Attachment) Close() error {
	if a == nil {
		return nil
	}
	var err error
	if a.setUp {
		err = a.driver.Teardown(context.Background(), a.opts.ContainerID)
	}
	if a.stop != nil {
		a.stop()
	}
	return err
}

func logOf(opts OpenOptions) io.Writer {
	if opts.Log != nil {
		return opts.Log
	}
	return os.Stderr
}

// Check reports what Open would refuse about a mode without starting
// anything: a bad name or options, or a network that is neither built in
// nor a plugin in dirs. Callers check before they record a container.
func Check(s string, dirs []string) error {
	mode, err := ParseMode(s)
	if err != nil {
		return err
	}
	switch mode.Driver() {
	case None, Host, Slirp4netns, Pasta:
		return nil
	}
	_, err = FindExternal(mode.Name, dirs)
	return err
}

// Handover returns the descriptors that keep this start's network up
// once the process that set it up exits (a detached container's monitor
// keeps them: the network then lives as long as the monitor, or until it
// closes them), and whether that is enough. None and host need nothing;
// slirp4netns needs its --exit-fd's write end (closing it is Teardown).
// pasta and external plugins die with the process that started them
// (parent-death signal): ok is false, that process has to stay.
func (a *Attachment) Handover() (keep []*os.File, ok bool) {
	if a == nil {
		return nil, true
	}
	d, isSlirp := a.driver.(*Slirp4netnsDriver)
	if !isSlirp || a.stop != nil {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if sn := d.live[a.opts.ContainerID]; sn != nil {
		return []*os.File{sn.exitW}, true
	}
	return nil, true
}
