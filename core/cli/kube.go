//go:build apps

package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/kube"
)

// kubeCommand is `hull kube`: Podman's kube play and kube down.
func kubeCommand() *cli.Command {
	return &cli.Command{
		Name:  "kube",
		Usage: kubeUsage,
		Subcommands: []*cli.Command{
			{
				Name: "play", Usage: "Create pods and containers from a Kubernetes YAML file", ArgsUsage: "FILE|-",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "replicas", Usage: "pods per Deployment (default 1)"},
					&cli.StringFlag{Name: "host-path-root", Usage: "the directory hostPath volumes may be under (without it, hostPath is refused)"},
					&cli.StringFlag{Name: "network", Usage: "a named network (hull network create) every pod joins, answering to its Services' names"},
				},
				Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
					o := kube.PlayOptions{Replicas: c.Int("replicas"), Network: c.String("network")}
					if r := c.String("host-path-root"); r != "" {
						abs, err := filepath.Abs(r)
						if err != nil {
							return fmt.Errorf("--host-path-root %s: %w", r, err)
						}
						o.HostPathRoot = abs
					}
					plan, err := kubePlan(c, o, true)
					if err != nil {
						return err
					}
					res, err := h.KubePlay(plan, o, c.App.ErrWriter)
					if res != nil {
						for _, p := range res.Pods {
							fmt.Fprintf(c.App.Writer, "Pod:\n%s\n", p)
						}
						if len(res.Containers) > 0 {
							fmt.Fprintln(c.App.Writer, "Containers:")
							for _, id := range res.Containers {
								fmt.Fprintln(c.App.Writer, id)
							}
						}
					}
					return err
				}),
			},
			{
				Name: "down", Usage: "Remove the pods and containers kube play made from a file", ArgsUsage: "FILE|-",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "force", Aliases: []string{"volumes", "v"}, Usage: "also remove the volumes of the file's PersistentVolumeClaims"},
				},
				Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
					// Names only: a hostPath is not looked at by down, and
					// play has said what it did not carry out.
					plan, err := kubePlan(c, kube.PlayOptions{HostPathRoot: "/"}, false)
					if err != nil {
						return err
					}
					removed, err := h.KubeDown(plan, c.Bool("force"))
					if len(removed) > 0 {
						fmt.Fprintln(c.App.Writer, "Pods removed:")
						for _, p := range removed {
							fmt.Fprintln(c.App.Writer, p)
						}
					}
					return err
				}),
			},
		},
	}
}

// kubePlan reads the file argument ("-": stdin) and plans it, printing
// the warnings.
func kubePlan(c *cli.Context, o kube.PlayOptions, warn bool) (*kube.Plan, error) {
	name := c.Args().First()
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read kube file: %w", err)
	}
	m, warnings, err := kube.Decode(data)
	if err != nil {
		return nil, err
	}
	plan, w, err := m.Plan(o)
	if err != nil {
		return nil, err
	}
	for _, line := range append(warnings, w...) {
		if warn {
			fmt.Fprintf(c.App.ErrWriter, "hull: warning: %s\n", line)
		}
	}
	return plan, nil
}

// generateCommand is `hull generate kube|ecs`.
func generateCommand() *cli.Command {
	outFlags := []cli.Flag{
		&cli.StringFlag{Name: "filename", Aliases: []string{"f"}, Usage: "write to FILE instead of standard output"},
		&cli.BoolFlag{Name: "allow-local", Usage: "name images that exist only locally (with a warning) instead of refusing"},
	}
	return &cli.Command{
		Name:  "generate",
		Usage: generateUsage,
		Subcommands: []*cli.Command{
			{
				Name: "kube", Usage: "Write Kubernetes YAML of containers, pods or compose projects", ArgsUsage: "CONTAINER|POD|COMPOSE-PROJECT...",
				Flags: append([]cli.Flag{
					&cli.BoolFlag{Name: "service", Aliases: []string{"s"}, Usage: "also write a Service for each workload's ports"},
					&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Value: "pod", Usage: "pod or deployment"},
				}, outFlags...),
				Action: hullAction(1, -1, func(c *cli.Context, h *core.Hull) error {
					out, warnings, err := h.GenerateKube(c.Args().Slice(), kube.GenerateOptions{Service: c.Bool("service"), Type: c.String("type")}, c.Bool("allow-local"))
					if err != nil {
						return err
					}
					return writeGenerated(c, out, warnings)
				}),
			},
			{
				Name: "ecs", Usage: "Write an ECS task definition (register-task-definition --cli-input-json)", ArgsUsage: "CONTAINER|POD|COMPOSE-PROJECT",
				Flags: outFlags,
				Action: hullAction(1, 1, func(c *cli.Context, h *core.Hull) error {
					out, warnings, err := h.GenerateECS(c.Args().First(), c.Bool("allow-local"))
					if err != nil {
						return err
					}
					return writeGenerated(c, out, warnings)
				}),
			},
		},
	}
}

// writeGenerated prints the warnings and writes out to -f FILE (whole or
// not at all) or standard output.
func writeGenerated(c *cli.Context, out []byte, warnings []string) error {
	for _, w := range warnings {
		fmt.Fprintf(c.App.ErrWriter, "hull: warning: %s\n", w)
	}
	name := c.String("filename")
	if name == "" {
		_, err := c.App.Writer.Write(out)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".hull-generate-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
