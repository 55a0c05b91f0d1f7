package image

import (
	"encoding/json"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Extras are the fields of Docker's image config that the OCI config has
// no place for. They are stored inside "config" of the config blob, where
// Docker and Podman put them, so images keep them across save, push and
// pull.
type Extras struct {
	Healthcheck *Healthcheck `json:"Healthcheck,omitempty"`
	OnBuild     []string     `json:"OnBuild,omitempty"`
	Shell       []string     `json:"Shell,omitempty"`
}

// Healthcheck is Docker's HEALTHCHECK config; durations in nanoseconds.
type Healthcheck struct {
	Test          []string      `json:"Test,omitempty"`
	Interval      time.Duration `json:"Interval,omitempty"`
	Timeout       time.Duration `json:"Timeout,omitempty"`
	StartPeriod   time.Duration `json:"StartPeriod,omitempty"`
	StartInterval time.Duration `json:"StartInterval,omitempty"`
	Retries       int           `json:"Retries,omitempty"`
}

// IsZero reports whether there is nothing to store.
func (e Extras) IsZero() bool {
	return e.Healthcheck == nil && len(e.OnBuild) == 0 && len(e.Shell) == 0
}

// marshalConfig renders cfg with the extras merged into its "config".
func marshalConfig(cfg *ocispec.Image, extras Extras) ([]byte, error) {
	data, err := json.Marshal(cfg)
	if err != nil || extras.IsZero() {
		return data, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	inner := map[string]json.RawMessage{}
	if raw, ok := doc["config"]; ok {
		if err := json.Unmarshal(raw, &inner); err != nil {
			return nil, err
		}
	}
	ex, err := json.Marshal(extras)
	if err != nil {
		return nil, err
	}
	var exMap map[string]json.RawMessage
	if err := json.Unmarshal(ex, &exMap); err != nil {
		return nil, err
	}
	for k, v := range exMap {
		inner[k] = v
	}
	if doc["config"], err = json.Marshal(inner); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// unmarshalExtras reads the extras from a config blob.
func unmarshalExtras(data []byte) (Extras, error) {
	var doc struct {
		Config Extras `json:"config"`
	}
	err := json.Unmarshal(data, &doc)
	return doc.Config, err
}
