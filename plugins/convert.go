//go:build !appsbin

package plugins

import (
	"time"

	"github.com/hull-project/hull/plugins/sdk/proto"
	sdk "github.com/hull-project/hull/plugins/sdk/spec"
)

// The core side's conversions: requests out, responses and host calls in.
// Package sdk holds the mirror images; TestRoundTrip sends every field
// through a real process and back.

func requestToProto(r sdk.Request) *proto.Request {
	return &proto.Request{
		Instruction: instructionToProto(r.Instruction),
		Config:      configToProto(r.Config),
		BuildArgs:   r.BuildArgs,
		Stage:       r.Stage,
		Platform:    r.Platform,
	}
}

func instructionToProto(i sdk.Instruction) *proto.Instruction {
	out := &proto.Instruction{
		Keyword: i.Keyword, Args: i.Args, Json: i.JSON, Original: i.Original,
		File: i.File, Line: int64(i.Line), EndLine: int64(i.EndLine),
	}
	for _, f := range i.Flags {
		out.Flags = append(out.Flags, &proto.Flag{Name: f.Name, Value: f.Value})
	}
	for _, h := range i.Heredocs {
		out.Heredocs = append(out.Heredocs, &proto.Heredoc{Name: h.Name, Content: h.Content, Expand: h.Expand})
	}
	return out
}

func configToProto(c sdk.Config) *proto.Config {
	return &proto.Config{
		User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
		Labels: c.Labels, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes, StopSignal: c.StopSignal,
		Shell: c.Shell, OnBuild: c.OnBuild, Healthcheck: healthcheckToProto(c.Healthcheck),
		ArgsEscaped: c.ArgsEscaped,
	}
}

func healthcheckToProto(h *sdk.Healthcheck) *proto.Healthcheck {
	if h == nil {
		return nil
	}
	return &proto.Healthcheck{
		Test: h.Test, IntervalNs: int64(h.Interval), TimeoutNs: int64(h.Timeout),
		StartPeriodNs: int64(h.StartPeriod), StartIntervalNs: int64(h.StartInterval),
		Retries: int64(h.Retries),
	}
}

func configFromProto(c *proto.Config) sdk.Config {
	if c == nil {
		return sdk.Config{}
	}
	return sdk.Config{
		User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
		Labels: c.Labels, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes, StopSignal: c.StopSignal,
		Shell: c.Shell, OnBuild: c.OnBuild, Healthcheck: healthcheckFromProto(c.Healthcheck),
		ArgsEscaped: c.ArgsEscaped,
	}
}

func healthcheckFromProto(h *proto.Healthcheck) *sdk.Healthcheck {
	if h == nil {
		return nil
	}
	return &sdk.Healthcheck{
		Test: h.Test, Interval: time.Duration(h.IntervalNs), Timeout: time.Duration(h.TimeoutNs),
		StartPeriod: time.Duration(h.StartPeriodNs), StartInterval: time.Duration(h.StartIntervalNs),
		Retries: int(h.Retries),
	}
}

func runRequestFromProto(r *proto.RunRequest) sdk.RunRequest {
	out := sdk.RunRequest{
		Args: r.Args, Env: r.Env, User: r.User, WorkingDir: r.WorkingDir,
		Network: r.Network, Stdin: r.Stdin, CaptureOutput: r.CaptureOutput, MaxOutput: int(r.MaxOutput),
	}
	for _, m := range r.Mounts {
		out.Mounts = append(out.Mounts, sdk.RunMount{
			Type: m.Type, Target: m.Target, Source: m.Source, From: m.From, ID: m.Id,
			Sharing: m.Sharing, Mode: m.Mode, ReadOnly: m.ReadOnly,
			UID: int(m.Uid), GID: int(m.Gid), Size: m.Size, Required: m.Required,
		})
	}
	return out
}

// requestFromProto reads the request a plugin hands to Host.Builtin.
func requestFromProto(r *proto.Request) sdk.Request {
	out := sdk.Request{Config: configFromProto(r.Config), BuildArgs: r.BuildArgs, Stage: r.Stage, Platform: r.Platform}
	if i := r.Instruction; i != nil {
		out.Instruction = sdk.Instruction{Keyword: i.Keyword, Args: i.Args, JSON: i.Json, Original: i.Original,
			File: i.File, Line: int(i.Line), EndLine: int(i.EndLine)}
		for _, f := range i.Flags {
			out.Instruction.Flags = append(out.Instruction.Flags, sdk.Flag{Name: f.Name, Value: f.Value})
		}
		for _, h := range i.Heredocs {
			out.Instruction.Heredocs = append(out.Instruction.Heredocs, sdk.Heredoc{Name: h.Name, Content: h.Content, Expand: h.Expand})
		}
	}
	return out
}
