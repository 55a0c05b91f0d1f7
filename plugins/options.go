package plugins

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// Default deadlines of a Client.
const (
	DefaultStartTimeout   = 10 * time.Second
	DefaultCallTimeout    = 10 * time.Second // Info, CacheInputs
	DefaultExecuteTimeout = 10 * time.Minute
)

// Options say how to launch one plugin process.
type Options struct {
	// Path is the executable; it names the plugin in errors. Required
	// unless Cmd is set.
	Path string
	// Cmd overrides the command line (built-ins: BuiltinCommand). Its
	// Stdout, Stderr and SysProcAttr are taken over.
	Cmd *exec.Cmd
	// Name names the plugin in errors instead of Path ("builtin run").
	Name string
	// SHA256 (hex), when set, is checked against the file before launch.
	SHA256 string
	// Deadlines; zero means the Default* value.
	StartTimeout, CallTimeout, ExecuteTimeout time.Duration
	// Log receives the plugin's stderr live, each line prefixed with
	// "plugin NAME: ", when Debug is set (default os.Stderr). go-plugin's
	// own messages go to hull's logger (slog) at debug level.
	Log io.Writer
	// Debug shows the plugin's stderr live on Log; withDefaults sets it
	// when ShowStderr (HULL_PLUGIN_LOG=debug, hull --debug). Without it
	// the stderr is kept quiet, and its end quoted in crash errors.
	Debug bool
}

func withDefaults(o Options) Options {
	if o.Cmd == nil {
		o.Cmd = exec.Command(o.Path)
	}
	if o.Path == "" {
		o.Path = o.Cmd.Path
	}
	if o.Name == "" {
		o.Name = o.Path
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.ExecuteTimeout == 0 {
		o.ExecuteTimeout = DefaultExecuteTimeout
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if !o.Debug {
		o.Debug = ShowStderr()
	}
	return o
}

// shortName names the plugin in live log lines: "builtin run", or the
// executable's file name.
func shortName(o Options) string {
	if o.Name != o.Path {
		return o.Name
	}
	return filepath.Base(o.Path)
}

func checkInfo(i sdk.Info) error {
	if i.Name == "" {
		return fmt.Errorf("%w: no name", ErrInvalidInfo)
	}
	for _, k := range i.Keywords {
		if k == "" || strings.ToUpper(k) != k || strings.ContainsAny(k, " \t\n") {
			return fmt.Errorf("%w: keyword %q is not one upper-case word", ErrInvalidInfo, k)
		}
	}
	return nil
}

func where(i sdk.Instruction) string {
	switch {
	case i.File != "" && i.Line > 0:
		return fmt.Sprintf("%s:%d", i.File, i.Line)
	case i.Line > 0:
		return fmt.Sprintf("line %d", i.Line)
	}
	return ""
}
