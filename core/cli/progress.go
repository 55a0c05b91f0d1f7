//go:build !appsbin

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

	"github.com/hull-project/hull/core/transfer"
)

// progress shows the layer transfers of a pull, push or load: one bar per
// layer (size, speed) on a terminal, one line per finished layer otherwise.
type progress struct {
	w    io.Writer
	bars *mpb.Progress // nil: plain lines
	mu   sync.Mutex    // serialises plain lines; guards open
	open []*blobBar    // the bars' transfers
}

// newProgress reports to w; quiet reports nothing.
func newProgress(w io.Writer, quiet bool) transfer.Progress {
	if quiet {
		return transfer.Quiet{}
	}
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(f.Fd()) {
		p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return p
}

// finishProgress waits for the bars to be drawn one last time.
func finishProgress(p transfer.Progress) {
	if pp, ok := p.(*progress); ok && pp.bars != nil {
		// A transfer a failure left without Done would hold Wait forever.
		pp.mu.Lock()
		for _, t := range pp.open {
			if !t.done.Load() {
				t.bar.Abort(false)
			}
		}
		pp.mu.Unlock()
		pp.bars.Wait()
	}
}

func (p *progress) Layer(id string, size int64) transfer.Blob {
	now := time.Now()
	t := &blobBar{p: p, id: id, size: size, start: now, last: now}
	if p.bars != nil {
		// Each layer keeps its line, as Docker's: the bar while it moves,
		// its final status ("Pushed", "Pull complete") once done. Sizes
		// are decimal (MB), as in the plain lines and Docker's.
		t.bar = p.bars.AddBar(0,
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
				if f, _ := t.final.Load().(string); f != "" {
					return f
				}
				return id + ":"
			})),
			mpb.AppendDecorators(decor.Any(func(st decor.Statistics) string {
				if st.Completed || st.Aborted {
					return ""
				}
				return units.HumanSize(float64(st.Current)) + "/" + units.HumanSize(float64(st.Total))
			})),
			mpb.BarFillerClearOnComplete(), mpb.BarFillerClearOnAbort())
		// Total 0 above and the size as shown total only: the bar completes
		// when Done says so, not when the bytes are all counted, so that
		// its last drawing has the final status.
		t.bar.SetTotal(size, false)
		p.mu.Lock()
		p.open = append(p.open, t)
		p.mu.Unlock()
	}
	return t
}

type blobBar struct {
	p     *progress
	id    string
	size  int64
	start time.Time
	n     atomic.Int64
	last  time.Time
	bar   *mpb.Bar
	final atomic.Value // string: the line shown once done
	done  atomic.Bool
}

func (t *blobBar) Add(n int) {
	t.n.Add(int64(n))
	if t.bar != nil {
		now := time.Now()
		t.bar.EwmaIncrBy(n, now.Sub(t.last))
		t.last = now
	}
}

func (t *blobBar) Done(status string, err error) {
	line := fmt.Sprintf("%s: %s", t.id, status)
	if err != nil {
		line = fmt.Sprintf("%s: failed: %v", t.id, err)
	} else if n := t.n.Load(); n > 0 {
		secs := time.Since(t.start).Seconds()
		line += fmt.Sprintf(" (%s in %.1fs, %s/s)", units.HumanSize(float64(n)), secs, units.HumanSize(float64(n)/max(secs, 0.001)))
	}
	if t.bar != nil {
		// Set before the bar completes: its last drawing shows it.
		t.final.Store(line)
		t.done.Store(true)
		if err != nil {
			t.bar.Abort(false)
		} else {
			t.bar.SetTotal(-1, true)
		}
		return
	}
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	fmt.Fprintln(t.p.w, line)
}
