package builders

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/hull-project/hull/builders/copier"
)

// Copy reuse: a COPY or ADD from the context whose key changed only by
// the context's content (an edited file) finds the layer the same step
// made last time (same parent, instruction, options) by its shape key,
// and the copier links that layer's unchanged big files instead of
// copying them (copier.Op.Reuse). The record, one file per shape in
// CacheDir/reuse, names that layer and what the copy made in it; it is
// rewritten by each run of the step and pruned with the cache mounts.
// A --no-cache build writes it, never reads it.

// reuseRecord is the last layer a step of one shape made.
type reuseRecord struct {
	DiffID  string                   `json:"diff_id"`
	Created time.Time                `json:"created"` // when the layer was committed
	Files   map[string]copier.Source `json:"files"`
}

func (b *build) reusePath(shape string) string {
	return filepath.Join(b.cache.dir, "reuse", shape)
}

// reuseFor returns what a copy of the step of shape may reuse: nil when
// no earlier run recorded one or its layer is gone.
func (b *build) reuseFor(shape string) *copier.Reuse {
	data, err := os.ReadFile(b.reusePath(shape))
	if err != nil {
		return nil
	}
	var r reuseRecord
	if json.Unmarshal(data, &r) != nil || r.DiffID == "" || len(r.Files) == 0 {
		return nil
	}
	dir, ok := b.env.Images.Layer(r.DiffID)
	if !ok {
		return nil
	}
	return &copier.Reuse{Dir: dir, Before: r.Created.UnixNano(), Files: r.Files}
}

// saveReuse records the layer the step of shape just made (rec) and the
// files its copies reported. A failure costs only a later reuse.
func (b *build) saveReuse(shape string, rec cacheRecord, files map[string]copier.Source) {
	if shape == "" || rec.DiffID == "" || len(files) == 0 {
		return
	}
	data, err := json.Marshal(reuseRecord{DiffID: rec.DiffID, Created: rec.Created, Files: files})
	if err != nil {
		return
	}
	p := b.reusePath(shape)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	_ = writeFileAtomic(p, data)
}

// addCopied merges a copy task's report (its stdout) into the step's.
func (w *workspace) addCopied(out []byte) {
	var r copier.Report
	if len(out) == 0 || json.Unmarshal(out, &r) != nil {
		return
	}
	for dst, src := range r.Files {
		if w.copied == nil {
			w.copied = map[string]copier.Source{}
		}
		w.copied[dst] = src
	}
}
