//go:build !appsbin

package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
)

// searchRow is one line of `hull search`, Docker's columns.
type searchRow struct {
	Name        string
	Description string
	StarCount   string
	IsOfficial  string
}

var searchHeaders = map[string]string{"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL"}

func searchCommand() *cli.Command {
	return &cli.Command{Name: "search", Usage: searchUsage, ArgsUsage: "REGISTRY/TERM",
		Description: "Registries serve no search API but their v2 catalog (GET /v2/_catalog): hull lists the\n" +
			"   repositories of REGISTRY whose names contain TERM. Docker Hub's catalog is not open.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "limit", Value: 25, Usage: "max number of search results"},
			&cli.StringFlag{Name: "format", Usage: "pretty-print search using a Go template"},
			&cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate output"},
			sliceFlag("filter", "f", "filter output based on conditions provided (stars=, is-official=: a catalog has neither)"),
			tlsVerifyFlag(),
		},
		Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
			reg, term, ok := strings.Cut(c.Args().First(), "/")
			if !ok || !strings.ContainsAny(reg, ".:") && reg != "localhost" {
				return errors.New("search needs REGISTRY/TERM (e.g. localhost:5000/busy): hull searches a registry's v2 catalog, and Docker Hub's is not open")
			}
			for _, f := range c.StringSlice("filter") {
				k, v, _ := strings.Cut(f, "=")
				switch {
				case k == "stars" && v == "0", k == "is-official" && v == "false":
				case k == "stars", k == "is-official":
					return nil // a catalog has no stars and no official images: nothing passes
				default:
					return fmt.Errorf("invalid filter '%s'", k)
				}
			}
			repos, err := h.Search(c.Context, reg, term, !c.Bool("tls-verify"))
			if err != nil {
				return err
			}
			if n := c.Int("limit"); n > 0 && len(repos) > n {
				repos = repos[:n]
			}
			lf, err := newListFormat(c.String("format"), "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}", searchHeaders)
			if err != nil {
				return err
			}
			rows := make([]any, len(repos))
			for i, r := range repos {
				rows[i] = searchRow{Name: reg + "/" + r, StarCount: "0"}
			}
			return lf.write(c.App.Writer, rows)
		})}
}
