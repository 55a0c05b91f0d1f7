//go:build tools

// Package core: this file only pins modules that work in progress will
// import (compose, Kubernetes, CDI, ECS types), so that concurrent work
// does not race on go.mod. It is removed once those imports exist.
package core

import (
	_ "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/core/v1"
	_ "sigs.k8s.io/yaml"
	_ "tags.cncf.io/container-device-interface/pkg/cdi"
)
