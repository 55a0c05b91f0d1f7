package builders

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// ttyView is BuildKit's tty progress mode: a live region at the bottom
// of the terminal, redrawn in place, with a header ("[+] Building 3.1s
// (2/4)"), one line per step (finished ones collapsed to that line, in
// blue; a failed one in red) and the last lines of the running steps'
// output under them, with their timers. Permanent text (warnings, the
// failure excerpt, "writing image") is printed above the region.
//
// The caller holds progress.mu for every method.
type ttyView struct {
	w      io.Writer
	fd     int
	start  time.Time
	steps  []*ttyStep
	byN    map[int]*ttyStep
	drawn  int // lines of the region on screen
	stop   chan struct{}
	closed bool
}

type ttyStep struct {
	n           int
	title       string
	start, end  time.Time
	cached, bad bool
	lines       []string // the output's last lines while it runs
}

// ttyOutputLines is how many output lines a running step shows.
const ttyOutputLines = 6

// isTerminal reports whether w is a terminal, and its fd: an *os.File,
// or a writer that holds output for one and says which (Fd).
func isTerminal(w io.Writer) (int, bool) {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return int(f.Fd()), err == nil
}

func newTTYView(w io.Writer, fd int, tick func()) *ttyView {
	v := &ttyView{w: w, fd: fd, start: time.Now(), byN: map[int]*ttyStep{}, stop: make(chan struct{})}
	// The timers move on their own: redraw a few times a second.
	go func() {
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				tick()
			case <-v.stop:
				return
			}
		}
	}()
	return v
}

func (v *ttyView) width() int {
	if ws, err := unix.IoctlGetWinsize(v.fd, unix.TIOCGWINSZ); err == nil && ws.Col > 10 {
		return int(ws.Col)
	}
	return 80
}

func (v *ttyView) begin(n int, title string) {
	if v.closed {
		return
	}
	s := &ttyStep{n: n, title: title, start: time.Now()}
	v.steps = append(v.steps, s)
	v.byN[n] = s
	v.redraw()
}

func (v *ttyView) finish(n int, cached, bad bool) {
	if v.closed {
		return
	}
	if s := v.byN[n]; s != nil {
		s.end, s.cached, s.bad = time.Now(), cached, bad
		if !bad {
			s.lines = nil
		}
	}
	v.redraw()
}

func (v *ttyView) output(n int, line string) {
	if s := v.byN[n]; s != nil {
		s.lines = append(s.lines, line)
		if len(s.lines) > ttyOutputLines {
			s.lines = s.lines[len(s.lines)-ttyOutputLines:]
		}
	}
}

// print writes permanent text above the live region (after close, below
// its last drawing).
func (v *ttyView) print(text string) {
	if v.closed {
		io.WriteString(v.w, text)
		return
	}
	v.clear()
	io.WriteString(v.w, text)
	v.draw()
}

// close draws the region a last time and leaves it on the screen.
func (v *ttyView) close() {
	if v.closed {
		return
	}
	close(v.stop)
	v.clear()
	v.closed = true
	v.draw()
	v.drawn = 0
}

func (v *ttyView) redraw() {
	if v.closed {
		return
	}
	v.clear()
	v.draw()
}

// clear moves to the region's first line and erases down.
func (v *ttyView) clear() {
	if v.drawn > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA\r\x1b[J", v.drawn)
		v.drawn = 0
	}
}

const (
	ttyBlue  = "\x1b[34m"
	ttyRed   = "\x1b[31m"
	ttyReset = "\x1b[0m"
)

func (v *ttyView) draw() {
	if len(v.steps) == 0 {
		return
	}
	width := v.width()
	done := 0
	for _, s := range v.steps {
		if !s.end.IsZero() {
			done++
		}
	}
	var lines []string
	head := fmt.Sprintf("[+] Building %.1fs (%d/%d)", time.Since(v.start).Seconds(), done, len(v.steps))
	if v.closed {
		head += " FINISHED"
	}
	lines = append(lines, fit(head, width))
	for _, s := range v.steps {
		end := s.end
		if end.IsZero() {
			end = time.Now()
		}
		name := " => " + s.title
		if s.cached {
			name = " => CACHED " + s.title
		}
		if s.bad {
			name = " => ERROR " + s.title
		}
		timer := fmt.Sprintf(" %.1fs", end.Sub(s.start).Seconds())
		name = fit(name, width-len(timer))
		line := name + strings.Repeat(" ", max(0, width-1-len(timer)-utf8.RuneCountInString(name))) + timer
		switch {
		case s.bad:
			line = ttyRed + line + ttyReset
		case !s.end.IsZero():
			line = ttyBlue + line + ttyReset
		}
		lines = append(lines, line)
		for _, l := range s.lines {
			lines = append(lines, fit(" => => # "+l, width))
		}
	}
	io.WriteString(v.w, strings.Join(lines, "\n")+"\n")
	v.drawn = len(lines)
}

// fit pads or cuts s to width-1 columns (a full line would wrap on some
// terminals and break the count of lines to redraw); tabs and control
// characters become spaces.
func fit(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	limit := max(1, width-1)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}
