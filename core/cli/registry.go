//go:build !appsbin

package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/image"
	"github.com/hull-project/hull/core/transfer"
)

func tlsVerifyFlag() cli.Flag {
	return &cli.BoolFlag{Name: "tls-verify", Value: true, Usage: "require HTTPS and verify certificates (localhost and 127.0.0.0/8 use HTTP regardless)"}
}

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     pullUsage,
		ArgsUsage: "NAME[:TAG|@DIGEST]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "platform", Usage: "pull this platform of a multi-platform image: os/arch[/variant]"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "suppress verbose output"},
			tlsVerifyFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			ref := c.Args().First()
			// What the name meant before the pull tells "up to date" from "newer".
			var had string
			if before, err := h.LookupImage(ref); err == nil {
				had = before.ID
			}
			p := newProgress(c.App.Writer, c.Bool("quiet"))
			img, err := h.Pull(c.Context, ref, transfer.PullOptions{Platform: c.String("platform"),
				Insecure: !c.Bool("tls-verify"), Progress: p})
			finishProgress(p)
			if err != nil {
				return err
			}
			if !c.Bool("quiet") {
				for _, n := range img.Names {
					if strings.Contains(n, "@") {
						_, d, _ := strings.Cut(n, "@")
						fmt.Fprintf(c.App.Writer, "Digest: %s\n", d)
					}
				}
				if img.ID == had {
					fmt.Fprintf(c.App.Writer, "Status: Image is up to date for %s\n", image.FamiliarString(ref))
				} else {
					fmt.Fprintf(c.App.Writer, "Status: Downloaded newer image for %s\n", image.FamiliarString(ref))
				}
			}
			norm, _ := image.NormalizeRef(ref)
			fmt.Fprintln(c.App.Writer, norm)
			return nil
		},
	}
}

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     pushUsage,
		ArgsUsage: "NAME[:TAG]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "suppress verbose output"},
			tlsVerifyFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1); err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			p := newProgress(c.App.Writer, c.Bool("quiet"))
			res, err := h.Push(c.Context, c.Args().First(), transfer.PushOptions{Insecure: !c.Bool("tls-verify"), Progress: p})
			finishProgress(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s: digest: %s size: %d\n", res.Tag, res.Digest, res.Size)
			return nil
		},
	}
}

func loginCommand() *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     loginUsage,
		ArgsUsage: "[SERVER]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "username"},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Usage: "password"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "take the password from stdin"},
			tlsVerifyFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 1); err != nil {
				return err
			}
			o := transfer.LoginOptions{Server: c.Args().First(), Username: c.String("username"),
				Password: c.String("password"), Insecure: !c.Bool("tls-verify")}
			if c.Bool("password-stdin") {
				pw, err := readPassword(os.Stdin)
				if err != nil {
					return err
				}
				o.Password = pw
			}
			if o.Username == "" || o.Password == "" {
				return fmt.Errorf("login: give --username and --password or --password-stdin")
			}
			if _, err := core.Login(c.Context, o); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, "Login Succeeded")
			return nil
		},
	}
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     logoutUsage,
		ArgsUsage: "[SERVER]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 1); err != nil {
				return err
			}
			key, err := core.Logout(c.Args().First())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "Removing login credentials for %s\n", key)
			return nil
		},
	}
}
