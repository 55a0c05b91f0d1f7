// Package kube maps Kubernetes manifests to hull's model and back: Decode
// reads a multi-document YAML file strictly into the API types (k8s.io/api),
// Plan turns its Pods and Deployments into hull pods and run options (what
// `hull kube play` creates and `hull kube down` removes), and Generate
// writes the manifests of existing containers and pods. It holds no store:
// core executes a Plan and gathers Generate's input.
//
// Only the API's type packages are imported (core/v1, apps/v1, meta/v1,
// resource), never client-go: hull talks to no cluster, and every package
// here adds to the start-up of each hull command.
package kube
