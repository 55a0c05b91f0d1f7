// Package pod keeps pod records: a pod is a group of containers that share
// one network, IPC and UTS namespace, held by a small infra process, with
// the pod's published ports and hostname (as Podman's pods). Records live
// in $ROOT/pods/<id>/pod.json; $ROOT/pods/<id>/infra.lock is flock'ed by
// the pod's infra monitor for as long as the infra runs, so a record that
// says "running" with a free lock is a pod whose infra is gone.
//
// It deliberately holds plain data and files: starting the infra and its
// members is core's (through core/launch), and which containers belong to
// a pod is said by their records (HostConfig.Pod), not here.
package pod
