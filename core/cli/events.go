package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/events"
	"github.com/hull-project/hull/core/image"
)

// errStop ends a follow at --until.
var errStop = errors.New("until reached")

func eventsCommand() *cli.Command {
	return &cli.Command{Name: "events", Usage: "Get real time events from the store",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "show all events created since timestamp (RFC 3339, Unix seconds or relative: 10m)"},
			&cli.StringFlag{Name: "until", Usage: "stream events until this timestamp"},
			sliceFlag("filter", "f", "filter output based on conditions provided: type=, container=, image=, volume=, network=, event="),
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, or json"},
		},
		Action: hullAction(0, 0, func(c *cli.Context, h *core.Hull) error {
			now := time.Now()
			var since, until time.Time
			var err error
			if s := c.String("since"); s != "" {
				if since, err = parseSince(s, now); err != nil {
					return err
				}
			}
			if s := c.String("until"); s != "" {
				if until, err = parseSince(s, now); err != nil {
					return fmt.Errorf("invalid --until %q", s)
				}
			}
			match, err := eventFilter(c.StringSlice("filter"))
			if err != nil {
				return err
			}
			print, err := eventPrinter(c)
			if err != nil {
				return err
			}
			past, offset, err := h.Events()
			if err != nil {
				return err
			}
			show := func(e events.Event) error {
				t := time.Unix(0, e.TimeNano)
				if !until.IsZero() && t.After(until) {
					return errStop
				}
				if t.Before(since) || !match(e) {
					return nil
				}
				return print(e)
			}
			// Without --since, Docker shows only what happens from now on.
			if !since.IsZero() {
				for _, e := range past {
					if err := show(e); err != nil {
						return ignoreStop(err)
					}
				}
			}
			if !until.IsZero() && !until.After(now) {
				return nil
			}
			stop := make(chan struct{})
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			go func() {
				var timer <-chan time.Time
				if !until.IsZero() {
					timer = time.After(time.Until(until))
				}
				select {
				case <-sigs:
				case <-timer:
				}
				close(stop)
			}()
			return ignoreStop(h.FollowEvents(offset, stop, show))
		})}
}

func ignoreStop(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// eventFilter parses Docker's event filters: values of one key are
// alternatives, keys all apply.
func eventFilter(args []string) (func(events.Event) bool, error) {
	want := map[string][]string{}
	for _, f := range args {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("bad format of filter (expected name=value): %s", f)
		case k != "type" && k != "container" && k != "image" && k != "volume" && k != "network" && k != "event":
			return nil, fmt.Errorf("invalid filter '%s'", k)
		}
		want[k] = append(want[k], v)
	}
	return func(e events.Event) bool {
		for k, vals := range want {
			ok := false
			for _, v := range vals {
				switch k {
				case "type":
					ok = ok || e.Type == v
				case "event":
					ok = ok || e.Action == v
				case "volume":
					ok = ok || e.Type == "volume" && e.Actor.ID == v
				case "network":
					ok = ok || e.Type == "network" && (strings.HasPrefix(e.Actor.ID, v) || e.Actor.Attributes["name"] == v)
				case "container":
					ok = ok || e.Type == "container" && (strings.HasPrefix(e.Actor.ID, v) || e.Actor.Attributes["name"] == v)
				case "image":
					ok = ok || e.Type == "image" && (strings.HasPrefix(strings.TrimPrefix(e.Actor.ID, "sha256:"), strings.TrimPrefix(v, "sha256:")) || imageNameIs(e.Actor.Attributes["name"], v)) ||
						e.Type == "container" && imageNameIs(e.Actor.Attributes["image"], v)
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

// imageNameIs compares image names as the user writes them ("busybox" is
// docker.io/library/busybox:latest).
func imageNameIs(name, v string) bool {
	if name == "" {
		return false
	}
	return name == v || image.FamiliarString(name) == image.FamiliarString(v)
}

// eventPrinter prints an event as --format says, or in Docker's line:
// TIME TYPE ACTION ID (key=value, ...).
func eventPrinter(c *cli.Context) (func(events.Event) error, error) {
	w := c.App.Writer
	switch f := c.String("format"); f {
	case "":
		return func(e events.Event) error {
			keys := make([]string, 0, len(e.Actor.Attributes))
			for k := range e.Actor.Attributes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			attrs := make([]string, len(keys))
			for i, k := range keys {
				attrs[i] = k + "=" + e.Actor.Attributes[k]
			}
			line := fmt.Sprintf("%s %s %s %s", time.Unix(0, e.TimeNano).Format(time.RFC3339Nano), e.Type, e.Action, e.Actor.ID)
			if len(attrs) > 0 {
				line += " (" + strings.Join(attrs, ", ") + ")"
			}
			_, err := fmt.Fprintln(w, line)
			return err
		}, nil
	default:
		lf, err := newListFormat(f, "", nil)
		if err != nil {
			return nil, err
		}
		return func(e events.Event) error { return lf.line(w, e) }, nil
	}
}
