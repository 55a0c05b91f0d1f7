//go:build !appsbin

package plugins

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// GoPluginLogger is the hclog.Logger to give go-plugin for the plugin run
// from cmdPath. go-plugin's own messages go to hull's logger (slog) at
// debug level, so they show with hull --debug and never raw; its copy of
// the plugin's stderr lines is dropped, since Stderr shows those.
func GoPluginLogger(cmdPath string) hclog.Logger {
	level := hclog.Off
	if slog.Default().Enabled(context.Background(), slog.LevelDebug) {
		level = hclog.Debug
	}
	l := hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Level: level, Output: slogWriter{plugin: cmdPath},
		DisableTime: true})
	return &goPluginLogger{Logger: l, relay: filepath.Base(cmdPath)}
}

// goPluginLogger hands go-plugin a disabled logger for the sub-logger it
// relays the plugin's stderr through (named after the executable), so that
// it does not parse every line for nothing.
type goPluginLogger struct {
	hclog.Logger
	relay string
}

func (l *goPluginLogger) Named(name string) hclog.Logger {
	if name == l.relay {
		return hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})
	}
	return l.Logger.Named(name)
}

// slogWriter sends each formatted hclog line to slog at debug level.
type slogWriter struct{ plugin string }

func (w slogWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			slog.Debug(line, "plugin", w.plugin)
		}
	}
	return len(p), nil
}
