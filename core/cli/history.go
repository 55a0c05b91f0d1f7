package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core/image"
)

// historyRow is one line of `history`; the fields are Docker's.
type historyRow struct {
	Comment      string
	CreatedAt    string
	CreatedBy    string
	CreatedSince string
	ID           string
	Size         string
}

var historyHeaders = map[string]string{
	"Comment": "COMMENT", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
	"CreatedSince": "CREATED", "ID": "IMAGE", "Size": "SIZE",
}

const defaultHistoryTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "Show the history of an image",
		ArgsUsage: "IMAGE",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only show image IDs"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "don't truncate output"},
			&cli.BoolFlag{Name: "human", Aliases: []string{"H"}, Value: true, Usage: "print sizes and dates in human readable format"},
			&cli.StringFlag{Name: "format", Usage: "format output using a Go template, 'table' or 'json'"},
		},
		Action: showHistory,
	}
}

func showHistory(c *cli.Context) error {
	if err := needArgs(c, 1, 1); err != nil {
		return err
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	img, err := h.LookupImage(c.Args().First())
	if err != nil {
		return err
	}
	rows := historyRows(img, c.Bool("no-trunc"), c.Bool("human"))
	if c.Bool("quiet") {
		for _, r := range rows {
			fmt.Fprintln(c.App.Writer, r.ID)
		}
		return nil
	}
	lf, err := newListFormat(c.String("format"), defaultHistoryTable, historyHeaders)
	if err != nil {
		return err
	}
	return lf.write(c.App.Writer, toAny(rows))
}

// historyRows lists the config's history newest first. Entries that made a
// layer get that layer's size; only the newest entry has an id (the
// image's), the others are "<missing>" as with any pulled image in Docker.
func historyRows(img *image.Image, noTrunc, human bool) []historyRow {
	hist := img.Config.History
	var rows []historyRow
	layer := 0
	for _, h := range hist {
		var size int64
		if !h.EmptyLayer && layer < len(img.Manifest.Layers) {
			size = img.Manifest.Layers[layer].Size
			layer++
		}
		var created time.Time
		if h.Created != nil {
			created = *h.Created
		}
		rows = append(rows, historyRow{Comment: h.Comment, CreatedBy: createdBy(h.CreatedBy, noTrunc),
			CreatedAt: created.Format(time.RFC3339), CreatedSince: since(created), ID: "<missing>",
			Size: sizeText(size, human)})
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	if len(rows) == 0 {
		rows = append(rows, historyRow{CreatedSince: since(img.Created), Size: sizeText(img.Size, human)})
	}
	rows[0].ID = shortID(img.ID, noTrunc)
	return rows
}

func createdBy(s string, noTrunc bool) string {
	s = strings.ReplaceAll(s, "\t", " ")
	if noTrunc {
		return s
	}
	return ellipsis(s, 45)
}

func sizeText(n int64, human bool) string {
	if human {
		return humanSize(n)
	}
	return fmt.Sprint(n)
}
