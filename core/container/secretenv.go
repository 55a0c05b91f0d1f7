package container

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// SecretEnvLabel records which of a container's variables came from a
// Secret (kube play's secretKeyRef and envFrom secretRef), as JSON
// {"VAR": {"secret": NAME, "key": KEY}}: the values are in Config.Env,
// the label says where they came from, so that generate can reference the
// Secret instead of writing its value out.
const SecretEnvLabel = "io.hull.secret-env"

// SecretRef is one key of a Secret.
type SecretRef struct {
	Secret string `json:"secret"`
	Key    string `json:"key"`
}

// SecretEnvLabelValue is the label's value for refs ("" for none).
func SecretEnvLabelValue(refs map[string]SecretRef) string {
	if len(refs) == 0 {
		return ""
	}
	b, _ := json.Marshal(refs) // a map of strings always marshals
	return string(b)
}

// SecretEnv returns the variables of c that came from a Secret. A label
// that does not parse (someone else's) counts as naming none.
func (c *Container) SecretEnv() map[string]SecretRef {
	v := c.Config.Labels[SecretEnvLabel]
	if v == "" {
		return nil
	}
	var refs map[string]SecretRef
	if json.Unmarshal([]byte(v), &refs) != nil {
		return nil
	}
	return refs
}

// SplitSecretEnv splits c's variables that differ from the image's
// (imageEnv) into plain KEY=VALUE ones and the names of those that came
// from a Secret, sorted.
func (c *Container) SplitSecretEnv(imageEnv []string) (plain, secret []string) {
	refs := c.SecretEnv()
	for _, e := range c.Config.Env {
		if slices.Contains(imageEnv, e) {
			continue
		}
		k, _, _ := strings.Cut(e, "=")
		if _, ok := refs[k]; ok {
			secret = append(secret, k)
			continue
		}
		plain = append(plain, e)
	}
	sort.Strings(secret)
	return plain, secret
}
