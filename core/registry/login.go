package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// dockerHubServer is where the Docker config keeps Docker Hub's credentials.
const dockerHubServer = "https://index.docker.io/v1/"

// Login checks the credentials against the registry and stores them in
// the Docker config (or its credential helper), as `docker login` does.
// It returns the server name it stored them under.
func Login(ctx context.Context, o LoginOptions) (string, error) {
	reg, key, err := parseServer(o.Server, o.Insecure)
	if err != nil {
		return "", err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: o.Username, Password: o.Password})
	if err := checkAuth(ctx, reg, auth, o.Insecure); err != nil {
		return "", fmt.Errorf("login to %s: %w", reg.Name(), err)
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("read docker config: %w", err)
	}
	ac := types.AuthConfig{Username: o.Username, Password: o.Password, ServerAddress: key}
	if err := cf.GetCredentialsStore(key).Store(ac); err != nil {
		return "", fmt.Errorf("store credentials for %s: %w", key, err)
	}
	if err := cf.Save(); err != nil {
		return "", fmt.Errorf("write docker config: %w", err)
	}
	return key, nil
}

// Logout removes the stored credentials of server ("" is Docker Hub).
func Logout(server string) (string, error) {
	_, key, err := parseServer(server, false)
	if err != nil {
		return "", err
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("read docker config: %w", err)
	}
	if _, ok := cf.GetAuthConfigs()[key]; !ok && cf.CredentialsStore == "" && cf.CredentialHelpers[key] == "" {
		return "", fmt.Errorf("not logged in to %s", key)
	}
	if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
		return "", fmt.Errorf("remove credentials for %s: %w", key, err)
	}
	if err := cf.Save(); err != nil {
		return "", fmt.Errorf("write docker config: %w", err)
	}
	return key, nil
}

// parseServer returns the registry and the key the Docker config uses
// for it.
func parseServer(server string, insecure bool) (name.Registry, string, error) {
	if server == "" || server == "docker.io" || server == "index.docker.io" || server == dockerHubServer {
		reg, err := name.NewRegistry(name.DefaultRegistry)
		return reg, dockerHubServer, err
	}
	var opts []name.Option
	if insecure || localRegistry(server) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(server, opts...)
	if err != nil {
		return name.Registry{}, "", fmt.Errorf("invalid registry %q: %w", server, err)
	}
	return reg, reg.Name(), nil
}

// checkAuth asks the registry's /v2/ endpoint with the credentials, which
// answers 200 only when they are accepted.
func checkAuth(ctx context.Context, reg name.Registry, auth authn.Authenticator, insecure bool) error {
	rt, err := transport.NewWithContext(ctx, reg, auth, httpTransport(insecure), []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return err
	}
	for _, scheme := range schemes(reg) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+reg.RegistryStr()+"/v2/", nil)
		if err != nil {
			return err
		}
		resp, err := (&http.Client{Transport: rt}).Do(req)
		if err != nil {
			continue // the next scheme, for an insecure registry
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		return fmt.Errorf("registry answered %s: check the username and password", resp.Status)
	}
	return fmt.Errorf("cannot reach %s", reg.Name())
}

func schemes(reg name.Registry) []string {
	if reg.Scheme() == "http" {
		return []string{"https", "http"}
	}
	return []string{"https"}
}
