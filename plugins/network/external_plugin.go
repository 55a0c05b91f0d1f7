//go:build !appsbin

package network

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-plugin"

	"github.com/hull-project/hull/plugins"
	"github.com/hull-project/hull/plugins/sdk/netsdk"
)

// launchExternal finds the plugin for --network name and starts it. The
// returned stop kills it (and its process group); the process also dies
// with hull (Pdeathsig, and netsdk.Serve watches its parent).
func launchExternal(name string, opts OpenOptions) (Driver, func(), error) {
	p, err := startPinned(name, opts.PluginDirs, logOf(opts))
	if err != nil {
		return nil, nil, err
	}
	return p, p.kill, nil
}

// startPinned finds network plugin name in dirs (nil: the search path),
// checks it against its pin and starts it.
func startPinned(name string, dirs []string, log io.Writer) (*externalPlugin, error) {
	if dirs == nil {
		dirs = plugins.SearchPath(nil)
	}
	path, err := FindExternal(name, dirs)
	if err != nil {
		return nil, err
	}
	// plugins.pin applies to network plugins too, by name or path: a
	// plugin that does not match its pin is refused, never started.
	pins, err := plugins.LoadPins(plugins.DefaultPinFile())
	if err != nil {
		return nil, err
	}
	if pin, key, ok := pins.Lookup(path, name); ok {
		if err := plugins.VerifyPin(path, pin, key); err != nil {
			return nil, err
		}
	}
	return startExternal(path, log)
}

// externalPlugin is one running network plugin process.
type externalPlugin struct {
	path   string
	cmd    *exec.Cmd
	gp     *plugin.Client
	rpc    *networkClient
	stderr *plugins.Stderr
	// go-plugin's reader of the stderr pipe, and its stdio stream.
	errOut, syncOut *plugins.LineWriter
	once            sync.Once
}

var _ Driver = (*externalPlugin)(nil)

// startExternal launches the plugin at path and completes the handshake.
// On error no process is left.
func startExternal(path string, log io.Writer) (*externalPlugin, error) {
	p := &externalPlugin{path: path, cmd: exec.Command(path)}
	// Its stderr is quiet but for crash errors, live with
	// HULL_PLUGIN_LOG=debug or hull --debug, as instruction plugins'.
	var live io.Writer
	if plugins.ShowStderr() {
		live = log
	}
	p.stderr = plugins.NewStderr("network/"+filepath.Base(path), live)
	p.errOut, p.syncOut = p.stderr.Writer(), p.stderr.Writer()
	// Own process group: a ^C at the terminal reaches the container through
	// hull, not the network, and kill takes what the plugin started with it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Dir = "/"
	p.gp = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  netsdk.ProtocolVersion,
			MagicCookieKey:   netsdk.MagicCookieKey,
			MagicCookieValue: netsdk.MagicCookieValue,
		},
		Plugins:          plugin.PluginSet{netsdk.PluginKind: &grpcNetwork{}},
		Cmd:              p.cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     plugins.DefaultStartTimeout,
		Stderr:           p.errOut,
		SyncStdout:       p.syncOut,
		SyncStderr:       p.syncOut,
		Logger:           plugins.GoPluginLogger(path),
	})
	err := p.connect()
	if err != nil {
		p.kill()
		return nil, &plugins.Error{Plugin: path, Op: "start", Err: p.startError(err)}
	}
	return p, nil
}

func (p *externalPlugin) connect() error {
	rpc, err := p.gp.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense(netsdk.PluginKind)
	if err != nil {
		return err
	}
	p.rpc = raw.(*networkClient)
	return nil
}

// startError maps go-plugin's start errors, plain strings, to the
// sentinels of package plugins, as plugins.Start does.
func (p *externalPlugin) startError(err error) error {
	msg := err.Error()
	const garbage = "Unrecognized remote plugin message: "
	line := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(msg, garbage), "\n", 2)[0])
	switch {
	case strings.Contains(msg, "incompatible API version"), strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("%w: %s", plugins.ErrProtocolVersion, line)
	case strings.HasPrefix(msg, garbage) && line != "":
		return fmt.Errorf("%w: %q", plugins.ErrStdout, line)
	case strings.HasPrefix(msg, garbage), strings.Contains(msg, "exited before we could connect"):
		return fmt.Errorf("%w: exited without a handshake%s", plugins.ErrNotPlugin, p.stderrNote())
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%w: no handshake within %s%s", plugins.ErrHung, plugins.DefaultStartTimeout, p.stderrNote())
	}
	return err
}

func (p *externalPlugin) stderrNote() string {
	p.syncOut.Flush()
	if s := p.stderr.Summary(); s != "" {
		return "; stderr: " + s
	}
	return ""
}

// kill ends the plugin and everything in its process group, at once: it
// runs after Teardown (or instead of it, on a failed start), so there is
// nothing left for a graceful exit to do. Safe to call twice.
func (p *externalPlugin) kill() {
	p.once.Do(func() {
		pid := 0
		if p.cmd.Process != nil {
			pid = p.cmd.Process.Pid
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		p.gp.Kill() // reaps it
		if pid > 0 {
			// What the plugin left in its group: the group outlives its
			// leader while a member runs, so its id is not reused yet.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
}
