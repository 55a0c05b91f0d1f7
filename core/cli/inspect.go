package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "Return low-level information on containers and images",
		ArgsUsage: "NAME|ID [NAME|ID...]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "format output using a Go template"},
			&cli.StringFlag{Name: "type", Usage: "only inspect objects of this type: container, image or volume"},
			&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "accepted for compatibility"},
		},
		Action: func(c *cli.Context) error { return inspectObjects(c, c.String("type")) },
	}
}

// inspectObjects prints the objects as a JSON array (or one template line
// each) and fails, after printing what it found, if any name matched
// nothing.
func inspectObjects(c *cli.Context, kind string) error {
	if err := needArgs(c, 1, -1); err != nil {
		return err
	}
	if kind == "volume" {
		return inspectVolumes(c)
	}
	if kind != "" && kind != "container" && kind != "image" {
		return fmt.Errorf("%q is not a valid value for --type", kind)
	}
	h, err := openHull(c)
	if err != nil {
		return err
	}
	views, errs := h.Inspect(c.Args().Slice(), kind)
	if format := c.String("format"); format != "" {
		err = printTemplated(c, format, views)
	} else {
		err = printJSONArray(c, views)
	}
	if err != nil {
		return err
	}
	for _, e := range errs[:max(0, len(errs)-1)] {
		printErr(c.App.ErrWriter, e)
	}
	if len(errs) > 0 {
		return errs[len(errs)-1]
	}
	return nil
}

func printTemplated(c *cli.Context, format string, views []any) error {
	t, err := parseTemplate(format)
	if err != nil {
		return err
	}
	for _, v := range views {
		if err := executeTemplate(c.App.Writer, t, v); err != nil {
			return err
		}
	}
	return nil
}

// printJSONArray prints like Docker: four-space indentation, "[]" when
// nothing was found.
func printJSONArray(c *cli.Context, views []any) error {
	if views == nil {
		views = []any{}
	}
	b, err := json.Marshal(views)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "    "); err != nil {
		return errors.New("encode: " + err.Error())
	}
	out.WriteByte('\n')
	_, err = c.App.Writer.Write(out.Bytes())
	return err
}
