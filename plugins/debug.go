package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
)

// LogEnv is the variable that shows plugin stderr live: HULL_PLUGIN_LOG=debug
// (as does hull --debug). Otherwise a plugin's stderr is kept quiet, and its
// last lines go into the error when the plugin crashes or hangs.
const LogEnv = "HULL_PLUGIN_LOG"

// ShowStderr reports whether plugin stderr is shown live: HULL_PLUGIN_LOG=debug,
// or hull's logger at debug level (hull --debug).
func ShowStderr() bool {
	return strings.EqualFold(os.Getenv(LogEnv), "debug") || slog.Default().Enabled(context.Background(), slog.LevelDebug)
}

// DevEnv is the variable of the plugin development mode: HULL_PLUGIN_DEV=1
// makes builds never reuse a cached result of an external plugin's step,
// even when the plugin's executable is unchanged.
const DevEnv = "HULL_PLUGIN_DEV"

// DevMode reports whether HULL_PLUGIN_DEV is set (to anything but "", "0"
// or "false").
func DevMode() bool {
	v := os.Getenv(DevEnv)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// Limits of what a crash or hang error quotes from the plugin's stderr.
const (
	stderrKeep      = 64  // lines kept
	stderrQuote     = 4   // lines quoted in an error
	stderrLineBytes = 240 // per quoted line
)

// Stderr collects a plugin's stderr: it keeps the last lines for error
// messages and, when Live is set, copies each line there at once, prefixed
// with the plugin's name. Several writers (go-plugin's raw stderr reader and
// its stdio stream) each get their own line splitter from Writer.
type Stderr struct {
	name string
	live io.Writer

	mu    sync.Mutex
	lines []string
}

// NewStderr returns the collector of the plugin called name; live, when
// not nil, receives "plugin NAME: LINE" for every line.
func NewStderr(name string, live io.Writer) *Stderr {
	return &Stderr{name: name, live: live}
}

// Writer returns a writer whose complete lines go to s; Flush on it (or a
// final newline) delivers a last partial line.
func (s *Stderr) Writer() *LineWriter { return &LineWriter{s: s} }

func (s *Stderr) add(line string) {
	line = renderLine(strings.TrimRight(line, "\r"))
	if strings.TrimSpace(line) == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
	if over := len(s.lines) - stderrKeep; over > 0 {
		s.lines = append(s.lines[:0], s.lines[over:]...)
	}
	if s.live != nil {
		fmt.Fprintf(s.live, "plugin %s: %s\n", s.name, line)
	}
}

// String is every kept line.
func (s *Stderr) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// Summary is the end of the plugin's stderr on one line, for an error: the
// last few lines, each cut short, joined with " | ". The lines of Go stack
// traces (goroutine headers, frames) are left out: a panic's "panic: ..."
// line and what the plugin wrote say more.
func (s *Stderr) Summary() string {
	s.mu.Lock()
	all := append([]string(nil), s.lines...)
	s.mu.Unlock()
	var lines []string
	for i, l := range all {
		frame := i+1 < len(all) && strings.HasPrefix(all[i+1], "\t") // a function, its file:line next
		if frame || strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "goroutine ") || strings.HasPrefix(l, "created by ") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) > stderrQuote {
		lines = lines[len(lines)-stderrQuote:]
	}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if len(l) > stderrLineBytes {
			l = strings.ToValidUTF8(l[:stderrLineBytes], "") + "..."
		}
		lines[i] = l
	}
	return strings.Join(lines, " | ")
}

// note is "; stderr: SUMMARY", or "" when the plugin wrote nothing.
func (s *Stderr) note() string {
	if sum := s.Summary(); sum != "" {
		return "; stderr: " + sum
	}
	return ""
}

// LineWriter splits what is written to it into lines for a Stderr.
type LineWriter struct {
	s       *Stderr
	mu      sync.Mutex
	partial []byte
}

func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		line := string(append(w.partial, p[:i]...))
		w.partial = w.partial[:0]
		w.s.add(line)
		p = p[i+1:]
	}
	w.partial = append(w.partial, p...)
	if len(w.partial) > 64<<10 { // a runaway line: deliver it in pieces
		w.s.add(string(w.partial))
		w.partial = w.partial[:0]
	}
	return n, nil
}

// Flush delivers a last line that had no newline.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.s.add(string(w.partial))
		w.partial = w.partial[:0]
	}
}

// renderLine turns a JSON line of hclog (what the SDK's go-plugin logger
// writes) into "[LEVEL] message key=value ..."; other lines are kept.
func renderLine(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return line
	}
	msg, ok := m["@message"].(string)
	if !ok {
		return line
	}
	out := msg
	if lvl, ok := m["@level"].(string); ok && lvl != "" {
		out = "[" + strings.ToUpper(lvl) + "] " + msg
	}
	var keys []string
	for k := range m {
		if !strings.HasPrefix(k, "@") && k != "timestamp" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out += fmt.Sprintf(" %s=%v", k, m[k])
	}
	return out
}
