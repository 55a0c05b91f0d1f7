// Package compose runs Compose applications (compose.yaml) on hull: it
// loads a project with the reference parser (compose-spec/compose-go) and
// maps its model onto hull's own containers, networks and volumes through
// core.Hull, as `docker compose` maps it onto the Docker API.
package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadOptions are compose's global flags.
type LoadOptions struct {
	Files      []string // -f, in order (merged); none: compose.yaml etc. found from WorkDir up
	Name       string   // -p
	WorkDir    string   // --project-directory ("" for the first file's directory)
	Profiles   []string // --profile
	EnvFiles   []string // --env-file (else .env in the project directory)
	OsEnv      []string // the caller's environment, for interpolation
	NoInterpol bool
}

// Load reads and validates the project: interpolation, extends, merging
// of -f files, profiles and the spec's schema are compose-go's. The
// project's relative paths (build contexts, bind sources, env files) are
// resolved against its directory, as docker compose resolves them.
func Load(ctx context.Context, o LoadOptions) (*types.Project, error) {
	opts := []cli.ProjectOptionsFn{
		cli.WithName(o.Name),
		cli.WithWorkingDirectory(o.WorkDir),
		cli.WithEnv(o.OsEnv),
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithInterpolation(!o.NoInterpol),
		cli.WithResolvedPaths(true),
		cli.WithProfiles(o.Profiles),
	}
	if o.Name == "" {
		// COMPOSE_PROJECT_NAME is compose's way to name the project.
		for _, kv := range o.OsEnv {
			if len(kv) > len("COMPOSE_PROJECT_NAME=") && kv[:len("COMPOSE_PROJECT_NAME=")] == "COMPOSE_PROJECT_NAME=" {
				opts[0] = cli.WithName(kv[len("COMPOSE_PROJECT_NAME="):])
			}
		}
	}
	po, err := cli.NewProjectOptions(o.Files, opts...)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if len(po.ConfigPaths) == 0 {
		wd, _ := os.Getwd()
		return nil, fmt.Errorf("compose: no configuration file provided: not found (compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in %s or above)", wd)
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if p.WorkingDir, err = filepath.Abs(p.WorkingDir); err != nil {
		return nil, err
	}
	return p, nil
}
