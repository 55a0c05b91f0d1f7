package cli

import (
	"fmt"
	"path"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/image"
)

// imageRow is one line of `images`; the fields are Docker's.
type imageRow struct {
	Containers   string
	CreatedAt    string
	CreatedSince string
	Digest       string
	ID           string
	Repository   string
	SharedSize   string
	Size         string
	Tag          string
	UniqueSize   string
	VirtualSize  string
}

var imageHeaders = map[string]string{
	"Containers": "CONTAINERS", "CreatedAt": "CREATED AT", "CreatedSince": "CREATED", "Digest": "DIGEST",
	"ID": "IMAGE ID", "Repository": "REPOSITORY", "SharedSize": "SHARED SIZE", "Size": "SIZE", "Tag": "TAG",
	"UniqueSize": "UNIQUE SIZE", "VirtualSize": "SIZE",
}

const (
	defaultImagesTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	defaultImagesDigestsTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:      "images",
		Usage:     "List images",
		ArgsUsage: "[REPOSITORY[:TAG]]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all images (no intermediate images exist yet)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only show image IDs"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "don't truncate output"},
			&cli.BoolFlag{Name: "digests", Usage: "show digests"},
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, 'table' or 'json'"},
			sliceFlag("filter", "f", "filter output: dangling=true|false, reference=PATTERN, label=KEY[=VALUE]"),
		},
		Action: listImages,
	}
}

func listImages(c *cli.Context) error {
	if err := needArgs(c, 0, 1); err != nil {
		return err
	}
	filters, err := parseFilters(c.StringSlice("filter"), "dangling", "reference", "label", "before", "since")
	if err != nil {
		return err
	}
	if c.NArg() == 1 {
		filters["reference"] = append(filters["reference"], c.Args().First())
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	if err := resolveImageTimes(h, filters); err != nil {
		return err
	}
	imgs, err := h.ListImages()
	if err != nil {
		return err
	}
	rows := imageRows(imgs, c.Bool("no-trunc"), filters)
	if c.Bool("quiet") {
		return printUniqueIDs(c, rows)
	}
	table := defaultImagesTable
	if c.Bool("digests") {
		table = defaultImagesDigestsTable
	}
	lf, err := newListFormat(c.String("format"), table, imageHeaders)
	if err != nil {
		return err
	}
	return lf.write(c.App.Writer, toAny(rows))
}

func printUniqueIDs(c *cli.Context, rows []imageRow) error {
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			fmt.Fprintln(c.App.Writer, r.ID)
		}
	}
	return nil
}

// imageRows makes one row per tag (an image without tags is one
// <none>:<none> row), keeping those that pass the filters.
func imageRows(imgs []*image.Image, noTrunc bool, f filters) []imageRow {
	var rows []imageRow
	for _, img := range imgs {
		if !f.matchImage(img) {
			continue
		}
		base := imageRow{Containers: "N/A", CreatedAt: createdAt(img.Created), CreatedSince: since(img.Created),
			Digest: "<none>", ID: shortID(img.ID, noTrunc), SharedSize: "N/A", Size: humanSize(img.Size),
			UniqueSize: "N/A", VirtualSize: humanSize(img.Size)}
		tags, digests := splitNames(img.Names)
		if len(tags) == 0 && len(f["reference"]) == 0 {
			r := base
			r.Repository, r.Tag = "<none>", "<none>"
			if len(digests) > 0 {
				r.Repository, r.Digest = splitDigest(digests[0])
			}
			rows = append(rows, r)
		}
		for _, t := range tags {
			r := base
			r.Repository, r.Tag = image.FamiliarName(t)
			if !f.matchReference(r.Repository, r.Tag) {
				continue
			}
			for _, d := range digests {
				if repo, dg := splitDigest(d); repo == r.Repository {
					r.Digest = dg
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// splitNames separates tags from digest references.
func splitNames(names []string) (tags, digests []string) {
	for _, n := range names {
		if strings.Contains(n, "@") {
			digests = append(digests, n)
		} else {
			tags = append(tags, n)
		}
	}
	return tags, digests
}

func splitDigest(ref string) (repo, digest string) {
	name, digest, _ := strings.Cut(ref, "@")
	repo, _ = image.FamiliarName(name)
	return repo, digest
}

// filters are --filter key=value pairs; values of one key are alternatives.
type filters map[string][]string

func parseFilters(args []string, allowed ...string) (filters, error) {
	f := filters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !contains(allowed, k) {
			return nil, fmt.Errorf("invalid filter '%s'", a)
		}
		f[k] = append(f[k], v)
	}
	for _, v := range f["dangling"] {
		if _, err := parseBoolFilter(v); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parseBoolFilter(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid filter 'dangling=%s'", v)
}

func (f filters) matchImage(img *image.Image) bool {
	tags, _ := splitNames(img.Names)
	for _, v := range f["dangling"] {
		if d, _ := parseBoolFilter(v); d != (len(tags) == 0) {
			return false
		}
	}
	if !f.matchImageTimes(img) {
		return false
	}
	if labels := f["label"]; len(labels) > 0 {
		for _, l := range labels {
			k, v, hasValue := strings.Cut(l, "=")
			got, ok := img.Config.Config.Labels[k]
			if !ok || (hasValue && got != v) {
				return false
			}
		}
	}
	return true
}

// matchReference applies reference=PATTERN (shell patterns, as Docker)
// to "repo" and "repo:tag".
func (f filters) matchReference(repo, tag string) bool {
	refs := f["reference"]
	if len(refs) == 0 {
		return true
	}
	for _, p := range refs {
		if ok, _ := path.Match(p, repo); ok {
			return true
		}
		if ok, _ := path.Match(p, repo+":"+tag); ok {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func toAny[T any](rows []T) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}
