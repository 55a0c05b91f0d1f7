package core

import (
	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/image"
)

// Events returns the store's logged events, oldest first, and where
// FollowEvents goes on from.
func (h *Hull) Events() ([]events.Event, int64, error) { return events.Read(h.Root) }

// FollowEvents calls fn with each event logged after offset until stop
// is closed.
func (h *Hull) FollowEvents(offset int64, stop <-chan struct{}, fn func(events.Event) error) error {
	return events.Follow(h.Root, offset, stop, fn)
}

// event appends a Docker event of typ (image, volume, network) about id
// to the store's log, with attributes as key, value pairs. Container
// events go through the container store (Emit), which adds the name and
// image. A failure to log does not fail the change it reports.
func (h *Hull) event(typ, action, id string, kv ...string) {
	attrs := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs[kv[i]] = kv[i+1]
	}
	_ = events.Append(h.Root, events.New(typ, action, id, attrs))
}

// imageRefEvent logs pull or push of ref as Docker does: the actor is the
// familiar reference (busybox:latest), its name the repository.
func (h *Hull) imageRefEvent(action, ref string) {
	repo, _ := image.FamiliarName(ref)
	h.event("image", action, image.FamiliarString(ref), "name", repo)
}

// containerEvent logs action of the container ref names (Docker's
// archive-path, extract-to-dir, export: actions that change no record).
func (h *Hull) containerEvent(ref, action string, kv ...string) {
	if c, err := h.Containers.Lookup(ref); err == nil {
		h.Containers.Emit(c, action, kv...)
	}
}
