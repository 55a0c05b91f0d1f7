package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/term"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/hull-project/hull/core/registry"
)

// progress shows the layer transfers of a pull, push or load: one bar per
// layer (size, speed) on a terminal, one line per finished layer otherwise.
type progress struct {
	w    io.Writer
	bars *mpb.Progress // nil: plain lines
	mu   sync.Mutex    // serialises plain lines
}

// newProgress reports to w; quiet reports nothing.
func newProgress(w io.Writer, quiet bool) registry.Progress {
	if quiet {
		return registry.Quiet{}
	}
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(f.Fd()) {
		p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return p
}

// finishProgress waits for the bars to be drawn one last time.
func finishProgress(p registry.Progress) {
	if pp, ok := p.(*progress); ok && pp.bars != nil {
		pp.bars.Wait()
	}
}

func (p *progress) Layer(id string, size int64) registry.Transfer {
	now := time.Now()
	t := &transfer{p: p, id: id, size: size, start: now, last: now}
	if p.bars != nil {
		t.bar = p.bars.AddBar(size,
			mpb.PrependDecorators(decor.Name(id+" "), decor.Counters(decor.SizeB1024(0), "% .1f / % .1f")),
			mpb.AppendDecorators(decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30), "done")),
			mpb.BarRemoveOnComplete())
	}
	return t
}

type transfer struct {
	p     *progress
	id    string
	size  int64
	start time.Time
	n     atomic.Int64
	last  time.Time
	bar   *mpb.Bar
}

func (t *transfer) Add(n int) {
	t.n.Add(int64(n))
	if t.bar != nil {
		now := time.Now()
		t.bar.EwmaIncrBy(n, now.Sub(t.last))
		t.last = now
	}
}

func (t *transfer) Done(status string, err error) {
	if t.bar != nil {
		if err != nil {
			t.bar.Abort(false)
		} else {
			t.bar.SetTotal(-1, true)
		}
	}
	line := fmt.Sprintf("%s: %s", t.id, status)
	if err != nil {
		line = fmt.Sprintf("%s: failed: %v", t.id, err)
	} else if n := t.n.Load(); n > 0 {
		secs := time.Since(t.start).Seconds()
		line += fmt.Sprintf(" (%s in %.1fs, %s/s)", units.HumanSize(float64(n)), secs, units.HumanSize(float64(n)/max(secs, 0.001)))
	}
	if t.bar != nil {
		t.p.bars.Write([]byte(line + "\n"))
		return
	}
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	fmt.Fprintln(t.p.w, line)
}
