package cli

import (
	"slices"

	"github.com/urfave/cli/v2"
)

// Building a command means building all its flags (run's and create's
// ~230 each), and urfave/cli walks every command's flags again at start:
// ~7 % of `hull version`'s CPU when every command was built at every
// start (docs/speed.md). Of the commands that are not invoked, a start
// needs only what `hull --help`'s listing and urfave's lookup of the
// invoked command read: the name, aliases, usage, category and whether it
// is hidden. So the top-level commands are listed here with those, and
// newApp builds only the invoked one (by name or alias) and stands the
// others in with stubs; help, completion and the management commands,
// which may reach any command's flags, get the whole tree
// (invokedCommand). TestCommandStubsMatch fails when a stub here differs
// from its command.

// commandEntry is one top-level command: its stub's fields, as the built
// command has them after decorate, and what builds it.
type commandEntry struct {
	Name     string
	Aliases  []string
	Usage    string
	Category string
	Hidden   bool
	build    func() *cli.Command
	// waits: the command spends its life beside a container's process,
	// waiting for it (singleP).
	waits bool
}

// stub is the command as a listing sees it; it is never run.
func (t *commandEntry) stub() *cli.Command {
	return &cli.Command{Name: t.Name, Aliases: t.Aliases, Usage: t.Usage, Category: t.Category, Hidden: t.Hidden}
}

func (t *commandEntry) hasName(name string) bool {
	return t.Name == name || slices.Contains(t.Aliases, name)
}

// topCommands are hull's top-level commands, in `hull --help`'s order
// (helpOrder sorts them anyway).
var topCommands = []commandEntry{
	{Name: "run", Usage: "Create and run a new container from an image", Category: commonCategory, build: runCommand, waits: true},
	{Name: "exec", Usage: "Execute a command in a running container", Category: commonCategory, build: execCommand, waits: true},
	{Name: "ps", Usage: "List containers", Category: commonCategory, build: psCommand},
	{Name: "build", Usage: "Build an image from a Dockerfile", Category: commonCategory, build: buildCommand},
	{Name: "pull", Usage: "Download an image from a registry", Category: commonCategory, build: pullCommand},
	{Name: "push", Usage: "Upload an image to a registry", Category: commonCategory, build: pushCommand},
	{Name: "images", Usage: "List images", Category: commonCategory, build: imagesCommand},
	{Name: "login", Usage: "Log in to a registry (credentials go to the Docker config)", Category: commonCategory, build: loginCommand},
	{Name: "logout", Usage: "Log out from a registry", Category: commonCategory, build: logoutCommand},
	{Name: "search", Usage: "Search a registry's catalog for images", Category: commonCategory, build: searchCommand},
	{Name: "version", Usage: "Show the hull version information", Category: commonCategory, build: versionCommand},
	{Name: "info", Usage: "Display system-wide information", Category: commonCategory, build: infoCommand},
	{Name: "attach", Usage: "Attach to a running container's streams", Category: otherCategory, build: attachCommand, waits: true},
	{Name: "builder", Usage: "Manage builds", Category: managementCategory, build: builderCommand},
	{Name: "buildx", Usage: "Docker Buildx's build and prune, on hull's builder", Category: managementCategory, build: buildxCommand},
	{Name: "commit", Usage: "Create a new image from a container's changes", Category: otherCategory, build: commitCommand},
	{Name: "completion", Usage: "Generate the autocompletion script for the specified shell", Category: otherCategory, build: completionCommand},
	{Name: "compose", Usage: composeUsage, Category: managementCategory, build: composeCommand},
	{Name: "container", Usage: "Manage containers", Category: managementCategory, build: containerCommand},
	{Name: "cp", Usage: "Copy files/folders between a container and the local filesystem", Category: otherCategory, build: cpCommand},
	{Name: "create", Usage: "Create a new container", Category: otherCategory, build: createCommand},
	{Name: "diff", Usage: "Inspect changes to files on a container's filesystem", Category: otherCategory, build: diffCommand},
	{Name: "events", Usage: "Get real time events from the store", Category: otherCategory, build: eventsCommand},
	{Name: "export", Usage: "Export a container's filesystem as a tar archive", Category: otherCategory, build: exportCommand},
	{Name: "generate", Usage: generateUsage, Category: managementCategory, build: generateCommand},
	{Name: "healthcheck", Usage: "Manage health checks of containers", Category: managementCategory, build: healthcheckCommand},
	{Name: "history", Usage: "Show the history of an image", Category: otherCategory, build: historyCommand},
	{Name: "image", Usage: "Manage images", Category: managementCategory, build: imageCommand},
	{Name: "import", Usage: "Import the contents from a tarball to create a filesystem image", Category: otherCategory, build: importCommand},
	{Name: "inspect", Usage: "Return low-level information on containers and images", Category: otherCategory, build: inspectCommand},
	{Name: "kill", Usage: "Kill one or more running containers", Category: otherCategory, build: killCommand},
	{Name: "kube", Usage: kubeUsage, Category: managementCategory, build: kubeCommand},
	{Name: "load", Usage: "Load images from a docker-archive, OCI archive or OCI layout (STDIN by default)", Category: otherCategory, build: loadCommand},
	{Name: "logs", Usage: "Fetch the logs of a container", Category: otherCategory, build: logsCommand},
	{Name: "network", Usage: "Manage named networks (containers on one reach each other by name)", Category: managementCategory, build: networkCommand},
	{Name: "pause", Usage: "Pause all processes within one or more containers", Category: otherCategory, build: pauseCommand},
	{Name: "plugin", Usage: "Manage instruction plugins", Category: managementCategory, build: pluginCommand},
	{Name: "pod", Usage: "Manage pods (containers that share a network, IPC and UTS namespace)", Category: managementCategory, build: podCommand},
	{Name: "port", Usage: "List port mappings or a specific mapping for the container", Category: otherCategory, build: portCommand},
	{Name: "rename", Usage: "Rename a container", Category: otherCategory, build: renameCommand},
	{Name: "restart", Usage: "Restart one or more containers", Category: otherCategory, build: restartCommand},
	{Name: "rm", Usage: "Remove one or more containers", Category: otherCategory, build: rmCommand},
	{Name: "rmi", Usage: "Remove one or more images", Category: otherCategory, build: rmiCommand},
	{Name: "save", Usage: "Save one or more images to a tar archive (streamed to STDOUT by default)", Category: otherCategory, build: saveCommand},
	{Name: "start", Usage: "Start one or more stopped containers", Category: otherCategory, build: startCommand, waits: true},
	{Name: "stats", Usage: "Display a live stream of container(s) resource usage statistics", Category: otherCategory, build: statsCommand},
	{Name: "stop", Usage: "Stop one or more running containers", Category: otherCategory, build: stopCommand},
	{Name: "system", Usage: "Manage hull", Category: managementCategory, build: systemCommand},
	{Name: "tag", Usage: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", Category: otherCategory, build: tagCommand},
	{Name: "top", Usage: "Display the running processes of a container", Category: otherCategory, build: topCommand},
	{Name: "unpause", Usage: "Unpause all processes within one or more containers", Category: otherCategory, build: unpauseCommand},
	{Name: "unshare", Usage: "Run a command (default: a shell) in the store's user namespace, as root there", Category: otherCategory, build: unshareCommand},
	{Name: "update", Usage: "Update configuration of one or more containers", Category: otherCategory, build: updateCommand},
	{Name: "volume", Usage: "Manage volumes", Category: managementCategory, build: volumeCommand},
	{Name: "wait", Usage: "Block until containers stop, then print their exit codes", Category: otherCategory, build: waitCommand, waits: true},
}

// commandTree is the top-level commands for newApp: all of them built
// when only is "", else the one only names built and stubs for the
// others; built lists those built.
func commandTree(only string) (all, built []*cli.Command) {
	all = make([]*cli.Command, 0, len(topCommands))
	for i := range topCommands {
		t := &topCommands[i]
		if only != "" && !t.hasName(only) {
			all = append(all, t.stub())
			continue
		}
		c := t.build()
		all, built = append(all, c), append(built, c)
	}
	return all, built
}
