package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/logfile"
	"github.com/hull-project/hull/core/transfer"
)

// lifecycleCommands are the commands of a container's life after run.
func lifecycleCommands() []*cli.Command {
	return []*cli.Command{createCommand(), startCommand(), stopCommand(), restartCommand(), killCommand(),
		waitCommand(), logsCommand(), attachCommand(), topCommand(), renameCommand(), execCommand(),
		cpCommand(), commitCommand(), diffCommand()}
}

func createCommand() *cli.Command {
	return &cli.Command{Name: "create", Usage: "Create a new container", ArgsUsage: "IMAGE [COMMAND] [ARG...]",
		Flags: runFlags(), Action: func(c *cli.Context) error {
			if full, err := handOverDevices(c); full {
				return err
			}
			if err := needArgs(c, 1, -1); err != nil {
				return err
			}
			opts := runOptions(c)
			opts.Pull, opts.Puller = c.String("pull"), transfer.PullOptions{Platform: c.String("platform"), Progress: newProgress(c.App.ErrWriter, false)}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			if err := runExtraOptions(c, h, &opts); err != nil {
				return err
			}
			if err := namedNetworks(c, h, &opts); err != nil {
				return err
			}
			id, err := h.Create(opts)
			if err != nil {
				return inFullHull(err) // a pull in the default hull (core.ImageFor)
			}
			fmt.Fprintln(c.App.Writer, id)
			return nil
		}}
}

func stdio() core.Stdio { return core.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

func startCommand() *cli.Command {
	return &cli.Command{Name: "start", Usage: "Start one or more stopped containers", ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "attach", Aliases: []string{"a"}, Usage: "attach STDOUT/STDERR and forward signals"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "attach container's STDIN"},
			detachKeysFlag(),
		},
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			opts := core.StartOptions{Attach: c.Bool("attach") || c.Bool("interactive"), Interactive: c.Bool("interactive"),
				DetachKeys: c.String("detach-keys")}
			if opts.Attach {
				if c.NArg() > 1 {
					return fmt.Errorf("you cannot start and attach multiple containers at once")
				}
				code, err := h.Start(c.Context, c.Args().First(), opts, stdio())
				return codeOrNil(code, err)
			}
			return eachContainer(c, func(ref string) error {
				_, err := h.Start(c.Context, ref, opts, core.Stdio{})
				return err
			})
		})}
}

func codeOrNil(code int, err error) error {
	if code == 0 && err == nil {
		return nil
	}
	return exitCode(code, err)
}

// eachContainer applies fn to every argument, printing each one done and
// each failure; the last failure decides the exit code.
func eachContainer(c *cli.Context, fn func(ref string) error) error {
	var last error
	for _, ref := range c.Args().Slice() {
		if err := fn(ref); err != nil {
			if last != nil {
				printErr(c.App.ErrWriter, last)
			}
			last = err
			continue
		}
		fmt.Fprintln(c.App.Writer, ref)
	}
	return last
}

func timeoutFlag() cli.Flag {
	return &cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: int(core.DefaultStopTimeout / time.Second),
		Usage: "seconds to wait before killing the container"}
}

func stopCommand() *cli.Command {
	return stopWithSignal(timedCommand("stop", "Stop one or more running containers", (*core.Hull).Stop))
}

func restartCommand() *cli.Command {
	return timedCommand("restart", "Restart one or more containers", (*core.Hull).Restart)
}

// timedCommand is stop and restart: a grace period (-t) and an action on
// each container named.
func timedCommand(name, usage string, act func(h *core.Hull, ref string, grace time.Duration) error) *cli.Command {
	return &cli.Command{Name: name, Usage: usage, ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{timeoutFlag()},
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			grace := time.Duration(c.Int("time")) * time.Second
			return eachContainer(c, func(ref string) error { return act(h, ref, grace) })
		})}
}

func killCommand() *cli.Command {
	return &cli.Command{Name: "kill", Usage: "Kill one or more running containers", ArgsUsage: "CONTAINER [CONTAINER...]",
		Flags: []cli.Flag{&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal to send to the container"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1); err != nil {
				return err
			}
			sig, err := core.ParseSignal(c.String("signal"))
			if err != nil {
				return err
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			return eachContainer(c, func(ref string) error { return h.Kill(ref, sig) })
		}}
}

func waitCommand() *cli.Command {
	return &cli.Command{Name: "wait", Usage: "Block until containers stop, then print their exit codes", ArgsUsage: "CONTAINER [CONTAINER...]",
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			var last error
			for _, ref := range c.Args().Slice() {
				code, err := h.Wait(ref)
				if err != nil {
					printErr(c.App.ErrWriter, err)
					last = err
					continue
				}
				fmt.Fprintln(c.App.Writer, code)
			}
			if last != nil {
				return exitCode(core.ExitHullError, nil)
			}
			return nil
		})}
}

func logsCommand() *cli.Command {
	return &cli.Command{Name: "logs", Usage: "Fetch the logs of a container", ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow log output"},
			&cli.StringFlag{Name: "tail", Aliases: []string{"n"}, Value: "all", Usage: "number of lines to show from the end"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "show timestamps"},
			&cli.StringFlag{Name: "since", Usage: "show logs since a timestamp (RFC 3339) or relative (e.g. 42m)"},
			&cli.StringFlag{Name: "until", Usage: "show logs before a timestamp (RFC 3339) or relative (e.g. 42m)"},
			&cli.BoolFlag{Name: "details", Usage: "show extra details provided to logs"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1); err != nil {
				return err
			}
			opts := logfile.ReadOptions{Follow: c.Bool("follow"), Timestamps: c.Bool("timestamps"), Tail: -1}
			if t := c.String("tail"); t != "all" && t != "" {
				if _, err := fmt.Sscanf(t, "%d", &opts.Tail); err != nil {
					return fmt.Errorf("invalid --tail %q", t)
				}
			}
			if s := c.String("since"); s != "" {
				since, err := parseSince(s, time.Now())
				if err != nil {
					return err
				}
				opts.Since = since
			}
			if s := c.String("until"); s != "" {
				until, err := parseSince(s, time.Now())
				if err != nil {
					return fmt.Errorf("invalid --until %q", s)
				}
				opts.Until = until
			}
			opts.Details = c.Bool("details")
			h, err := openHull(c)
			if err != nil {
				return err
			}
			return h.Logs(c.Args().First(), opts, os.Stdout, os.Stderr)
		}}
}

// parseSince accepts an RFC 3339 time, a Unix timestamp or a duration
// before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, fmt.Errorf("invalid --since %q", s)
}

func attachCommand() *cli.Command {
	return &cli.Command{Name: "attach", Usage: "Attach to a running container's streams", ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{detachKeysFlag(), &cli.BoolFlag{Name: "no-stdin", Usage: "do not attach STDIN"},
			&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "proxy all received signals to the process (false: a signal detaches)"}},
		Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
			return codeOrNil(h.Attach(c.Context, c.Args().First(), core.AttachOptions{DetachKeys: c.String("detach-keys"),
				NoStdin: c.Bool("no-stdin"), NoSigProxy: !c.Bool("sig-proxy")}, stdio()))
		})}
}

func detachKeysFlag() cli.Flag {
	return &cli.StringFlag{Name: "detach-keys", Usage: "key sequence that detaches, leaving the container running (default \"" +
		core.DefaultDetachKeys + "\")"}
}

func topCommand() *cli.Command {
	return &cli.Command{Name: "top", Usage: "Display the running processes of a container", ArgsUsage: "CONTAINER [ps OPTIONS]",
		Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
			out, err := h.Top(c.Args().First(), c.Args().Tail())
			if err != nil {
				return err
			}
			fmt.Fprint(c.App.Writer, out)
			return nil
		})}
}

func renameCommand() *cli.Command {
	return &cli.Command{Name: "rename", Usage: "Rename a container", ArgsUsage: "CONTAINER NEW_NAME",
		Action: hullAction(2, 2, func(c *cli.Context, h *core.Hull) error {
			return h.Rename(c.Args().Get(0), c.Args().Get(1))
		})}
}

func execCommand() *cli.Command {
	return &cli.Command{Name: "exec", Usage: "Execute a command in a running container", ArgsUsage: "CONTAINER COMMAND [ARG...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep STDIN open"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run the command in the background"},
			sliceFlag("env", "e", "set environment variables"),
			sliceFlag("env-file", "", "read in a file of environment variables"),
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "username or UID (format: <name|uid>[:<group|gid>])"},
			&cli.DurationFlag{Name: "timeout", Usage: "kill the command (and what it started) after DURATION and exit with 124"},
		},
		Action: hullAction(2, -1, func(c *cli.Context, h *core.Hull) error {
			opts := core.ExecOptions{Args: c.Args().Tail(), Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"),
				Workdir: c.String("workdir"), User: c.String("user"), Tty: c.Bool("tty"),
				Interactive: c.Bool("interactive"), Detach: c.Bool("detach"), Timeout: c.Duration("timeout")}
			return codeOrNil(h.Exec(c.Context, c.Args().First(), opts, stdio()))
		})}
}

func commitCommand() *cli.Command {
	return &cli.Command{Name: "commit", Usage: "Create a new image from a container's changes", ArgsUsage: "CONTAINER [REPOSITORY[:TAG]]",
		Flags: []cli.Flag{
			sliceFlag("change", "c", "apply Dockerfile instruction to the created image"),
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message"},
			&cli.StringFlag{Name: "author", Aliases: []string{"a"}, Usage: "author"},
			&cli.BoolFlag{Name: "pause", Aliases: []string{"p"}, Value: true, Usage: "pause the container's processes while its changes are read"},
		},
		Action: hullAction(1, 2, func(c *cli.Context, h *core.Hull) error {
			img, err := h.Commit(c.Args().Get(0), c.Args().Get(1), core.CommitOptions{Changes: c.StringSlice("change"),
				Message: c.String("message"), Author: c.String("author"), Pause: c.Bool("pause")})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, img.ID)
			return nil
		})}
}

func diffCommand() *cli.Command {
	return &cli.Command{Name: "diff", Usage: "Inspect changes to files on a container's filesystem", ArgsUsage: "CONTAINER",
		Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
			changes, err := h.Diff(c.Args().First())
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintln(c.App.Writer, ch.Kind, ch.Path)
			}
			return nil
		})}
}

func pruneContainersCommand() *cli.Command {
	return &cli.Command{Name: "prune", Usage: "Remove all stopped containers",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not prompt for confirmation"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0); err != nil {
				return err
			}
			// Docker asks whatever stdin is; without a yes (EOF included) nothing goes.
			if !c.Bool("force") && !confirm(c.App.Writer, os.Stdin, "WARNING! This will remove all stopped containers.") {
				return nil
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			gone, err := h.PruneContainers()
			if len(gone) > 0 {
				fmt.Fprintln(c.App.Writer, "Deleted Containers:")
				fmt.Fprintln(c.App.Writer, strings.Join(gone, "\n"))
			}
			return err
		}}
}

// runDetached is run -d: the id once the container runs.
func runDetached(c *cli.Context, h *core.Hull, opts core.RunOptions) error {
	id, code, err := h.RunDetached(opts)
	if err != nil {
		return exitCode(code, inFullHull(err)) // a pull in the default hull (core.ImageFor)
	}
	fmt.Fprintln(c.App.Writer, id)
	return nil
}

// hullAction is the shape of most container commands: check the number
// of arguments, open the store, act.
func hullAction(min, max int, act func(c *cli.Context, h *core.Hull) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := needArgs(c, min, max); err != nil {
			return err
		}
		h, err := openHull(c)
		if err != nil {
			return err
		}
		return act(c, h)
	}
}
