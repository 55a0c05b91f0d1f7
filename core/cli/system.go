package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/hull-project/hull/core"
	"github.com/hull-project/hull/core/appbin"
	"github.com/hull-project/hull/core/device"
)

// Build information, set with -ldflags "-X
// github.com/hull-project/hull/core/cli.Version=… -X ….GitCommit=… -X ….BuildTime=…".
var (
	Version   = "dev"
	GitCommit = "unknown"
	BuildTime = ""
)

// ClientVersion is what `version` reports, under .Client as in Docker.
type ClientVersion struct {
	Version   string
	GoVersion string
	GitCommit string
	BuildTime string
	Os        string
	Arch      string
}

// VersionInfo is the data `version --format` sees.
type VersionInfo struct {
	Client ClientVersion
}

func clientVersion() ClientVersion {
	return ClientVersion{Version: Version, GoVersion: runtime.Version(), GitCommit: GitCommit,
		BuildTime: BuildTime, Os: runtime.GOOS, Arch: runtime.GOARCH}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "Show the hull version information",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "format output using a Go template"}},
		Action: func(c *cli.Context) error {
			v := VersionInfo{Client: clientVersion()}
			if f := c.String("format"); f != "" {
				return printTemplated(c, f, []any{v})
			}
			printVersion(c.App.Writer, v.Client)
			return nil
		},
	}
}

func printVersion(w io.Writer, v ClientVersion) {
	fmt.Fprintln(w, "Client:")
	fmt.Fprintf(w, " Version:           %s\n", v.Version)
	fmt.Fprintf(w, " Go version:        %s\n", v.GoVersion)
	fmt.Fprintf(w, " Git commit:        %s\n", v.GitCommit)
	if v.BuildTime != "" {
		fmt.Fprintf(w, " Built:             %s\n", v.BuildTime)
	}
	fmt.Fprintf(w, " OS/Arch:           %s/%s\n", v.Os, v.Arch)
}

// SystemInfo is the data `info --format` sees.
type SystemInfo struct {
	core.Info
	Client ClientVersion
}

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "Display system-wide information",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "format output using a Go template"}},
		Action: func(c *cli.Context) error {
			if !device.CDILinked && appbin.Embedded() {
				// The CDI devices are read by the full hull's library.
				return appbin.Exec(os.Args, os.Environ())
			}
			h, err := openHull(c)
			if err != nil {
				return err
			}
			in := SystemInfo{Info: h.Info(), Client: clientVersion()}
			if f := c.String("format"); f != "" {
				return printTemplated(c, f, []any{in})
			}
			printInfo(c.App.Writer, in)
			return nil
		},
	}
}

func printInfo(w io.Writer, in SystemInfo) {
	fmt.Fprintln(w, "Client:")
	fmt.Fprintf(w, " Version:          %s\n", in.Client.Version)
	fmt.Fprintf(w, " Go version:       %s\n", in.Client.GoVersion)
	fmt.Fprintln(w, "Store:")
	fmt.Fprintf(w, " Root:             %s\n", in.Root)
	fmt.Fprintf(w, " Run root:         %s\n", in.RunRoot)
	fmt.Fprintf(w, " Images:           %d\n", in.Images)
	fmt.Fprintf(w, " Containers:       %d\n", in.Containers)
	fmt.Fprintf(w, "  Running:         %d\n", in.ContainersRunning)
	fmt.Fprintf(w, "  Stopped:         %d\n", in.ContainersStopped)
	fmt.Fprintln(w, "Runtime:")
	fmt.Fprintf(w, " Rootfs driver:    %s\n", in.RootfsDriver)
	fmt.Fprintf(w, " ID mapping:       %s\n", in.IDMapping)
	fmt.Fprintf(w, "  UIDs:            %s\n", orNone(core.IDMapString(in.UIDMap)))
	fmt.Fprintf(w, "  GIDs:            %s\n", orNone(core.IDMapString(in.GIDMap)))
	fmt.Fprintf(w, " User namespaces:  %s\n", supported(in.UserNamespaces, in.UsernsRestriction))
	fmt.Fprintf(w, " Seccomp:          %s\n", supported(in.Seccomp, ""))
	fmt.Fprintf(w, " Cgroup version:   %s\n", orNone(in.CgroupVersion))
	for _, c := range in.Cgroups {
		fmt.Fprintf(w, "  Cgroup:          %s\n", c)
	}
	fmt.Fprintf(w, " Kernel version:   %s\n", in.KernelVersion)
	printLimits(w, in.Limits)
	printDevices(w, in.Devices)
}

func supported(ok bool, why string) string {
	switch {
	case ok:
		return "supported"
	case why != "":
		return "not available: " + why
	}
	return "not available"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
