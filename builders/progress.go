package builders

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints BuildKit's plain progress format:
//
//	#3 [2/5] RUN echo hi
//	#3 0.112 hi
//	#3 DONE 0.2s
//	#4 [3/5] COPY src/ /app/
//	#4 CACHED
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	start time.Time
	// tails are the last lines of each step's output, for the failure
	// excerpt.
	tails map[int][]string
	// tty is the live view (--progress tty, or auto on a terminal).
	tty *ttyView
}

// tailLines is how many of a failed step's last output lines its excerpt
// shows, as BuildKit's.
const tailLines = 10

func newProgress(w io.Writer, mode string) *progress {
	if w == nil {
		w = io.Discard
	}
	p := &progress{w: w, quiet: mode == "quiet", start: time.Now(), tails: map[int][]string{}}
	fd, term := isTerminal(w)
	if mode == "tty" || mode == "auto" && term {
		if !term {
			fd = -1
		}
		p.tty = newTTYView(w, fd, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.tty != nil {
				p.tty.redraw()
			}
		})
	}
	return p
}

// close ends the live view, leaving its last drawing on the screen.
func (p *progress) close() {
	if p.tty != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.tty.close()
	}
}

// fail marks step n failed, and ends the live view so that the failure's
// details follow it.
func (p *progress) fail(n int) {
	if p.tty != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.tty.finish(n, false, true)
		p.tty.close()
	}
}

// ttyDo runs fn on the live view under the lock; it reports false in
// plain mode.
func (p *progress) ttyDo(fn func(v *ttyView)) bool {
	if p.tty == nil || p.quiet {
		return p.quiet
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p.tty)
	return true
}

// tail returns step n's last output lines.
func (p *progress) tail(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tails[n]...)
}

func (p *progress) printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty != nil {
		p.tty.print(fmt.Sprintf(format, args...))
		return
	}
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) line(format string, args ...any) { p.printf(format+"\n", args...) }

func (p *progress) step(n int, stage string, pos, total int, text string) {
	if stage != "" {
		stage += " "
	}
	if p.ttyDo(func(v *ttyView) { v.begin(n, fmt.Sprintf("[%s%d/%d] %s", stage, pos, total, oneLine(text))) }) {
		return
	}
	p.line("#%d [%s%d/%d] %s", n, stage, pos, total, oneLine(text))
}

func (p *progress) cached(n int) {
	if !p.ttyDo(func(v *ttyView) { v.finish(n, true, false) }) {
		p.line("#%d CACHED", n)
	}
}

func (p *progress) done(n int, d time.Duration) {
	if !p.ttyDo(func(v *ttyView) { v.finish(n, false, false) }) {
		p.line("#%d DONE %.1fs", n, d.Seconds())
	}
}

func (p *progress) log(n int, msg string) {
	if !p.ttyDo(func(v *ttyView) { v.output(n, msg) }) {
		p.line("#%d %s", n, msg)
	}
}

// writer streams a step's output, each line prefixed with the step number
// and the seconds since the step began, as BuildKit does.
func (p *progress) writer(n int) *stepWriter {
	return &stepWriter{p: p, n: n, start: time.Now()}
}

type stepWriter struct {
	p     *progress
	n     int
	start time.Time
	buf   []byte
	// afterCR: the last line ended with \r, so a \n right after it
	// (a CRLF) ends no second, empty line.
	afterCR bool
}

// Write prints each line with the step's prefix. A carriage return ends
// a line too: apt's and curl's progress lines redraw themselves with it,
// which would overwrite the prefix on a terminal and run into the next
// line in a log.
func (w *stepWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexAny(w.buf, "\r\n")
		if i < 0 {
			break
		}
		if i > 0 || w.buf[i] == '\n' && !w.afterCR {
			w.emit(w.buf[:i])
		}
		w.afterCR = w.buf[i] == '\r'
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// Flush prints a last line without a newline.
func (w *stepWriter) Flush() {
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

func (w *stepWriter) emit(line []byte) {
	secs := time.Since(w.start).Seconds()
	w.p.mu.Lock()
	t := append(w.p.tails[w.n], fmt.Sprintf("%.3f %s", secs, line))
	if len(t) > tailLines {
		t = t[len(t)-tailLines:]
	}
	w.p.tails[w.n] = t
	w.p.mu.Unlock()
	if !w.p.ttyDo(func(v *ttyView) { v.output(w.n, string(line)) }) {
		w.p.line("#%d %.3f %s", w.n, secs, line)
	}
}

func oneLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
