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
}

func newProgress(w io.Writer, mode string) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, quiet: mode == "quiet", start: time.Now()}
}

func (p *progress) printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) line(format string, args ...any) { p.printf(format+"\n", args...) }

func (p *progress) step(n int, stage string, pos, total int, text string) {
	if stage != "" {
		stage += " "
	}
	p.line("#%d [%s%d/%d] %s", n, stage, pos, total, oneLine(text))
}

func (p *progress) cached(n int) { p.line("#%d CACHED", n) }

func (p *progress) done(n int, d time.Duration) { p.line("#%d DONE %.1fs", n, d.Seconds()) }

func (p *progress) log(n int, msg string) { p.line("#%d %s", n, msg) }

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
}

func (w *stepWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
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
	w.p.line("#%d %.3f %s", w.n, time.Since(w.start).Seconds(), line)
}

func oneLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
