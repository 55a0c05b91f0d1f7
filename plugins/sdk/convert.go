package sdk

import (
	"time"

	"github.com/hull-project/hull/plugins/sdk/proto"
)

// The plugin side's conversions: requests in, responses and host calls out.
// Package plugins holds the mirror images; the round trip is tested there.

func requestFromProto(r *proto.Request) Request {
	if r == nil {
		return Request{}
	}
	return Request{
		Instruction: instructionFromProto(r.Instruction),
		Config:      configFromProto(r.Config),
		BuildArgs:   r.BuildArgs,
		Stage:       r.Stage,
		Platform:    r.Platform,
	}
}

func instructionFromProto(i *proto.Instruction) Instruction {
	if i == nil {
		return Instruction{}
	}
	out := Instruction{
		Keyword: i.Keyword, Args: i.Args, JSON: i.Json, Original: i.Original,
		File: i.File, Line: int(i.Line), EndLine: int(i.EndLine),
	}
	for _, f := range i.Flags {
		out.Flags = append(out.Flags, Flag{Name: f.Name, Value: f.Value})
	}
	for _, h := range i.Heredocs {
		out.Heredocs = append(out.Heredocs, Heredoc{Name: h.Name, Content: h.Content, Expand: h.Expand})
	}
	return out
}

func configFromProto(c *proto.Config) Config {
	if c == nil {
		return Config{}
	}
	return Config{
		User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
		Labels: c.Labels, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes, StopSignal: c.StopSignal,
		Shell: c.Shell, OnBuild: c.OnBuild, Healthcheck: healthcheckFromProto(c.Healthcheck),
		ArgsEscaped: c.ArgsEscaped,
	}
}

func healthcheckFromProto(h *proto.Healthcheck) *Healthcheck {
	if h == nil {
		return nil
	}
	return &Healthcheck{
		Test: h.Test, Interval: time.Duration(h.IntervalNs), Timeout: time.Duration(h.TimeoutNs),
		StartPeriod: time.Duration(h.StartPeriodNs), StartInterval: time.Duration(h.StartIntervalNs),
		Retries: int(h.Retries),
	}
}

func configToProto(c Config) *proto.Config {
	return &proto.Config{
		User: c.User, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir,
		Labels: c.Labels, ExposedPorts: c.ExposedPorts, Volumes: c.Volumes, StopSignal: c.StopSignal,
		Shell: c.Shell, OnBuild: c.OnBuild, Healthcheck: healthcheckToProto(c.Healthcheck),
		ArgsEscaped: c.ArgsEscaped,
	}
}

func healthcheckToProto(h *Healthcheck) *proto.Healthcheck {
	if h == nil {
		return nil
	}
	return &proto.Healthcheck{
		Test: h.Test, IntervalNs: int64(h.Interval), TimeoutNs: int64(h.Timeout),
		StartPeriodNs: int64(h.StartPeriod), StartIntervalNs: int64(h.StartInterval),
		Retries: int64(h.Retries),
	}
}

func runRequestToProto(call uint64, r RunRequest) *proto.RunRequest {
	out := &proto.RunRequest{
		CallId: call, Args: r.Args, Env: r.Env, User: r.User, WorkingDir: r.WorkingDir,
		Network: r.Network, Stdin: r.Stdin, CaptureOutput: r.CaptureOutput, MaxOutput: int64(r.MaxOutput),
	}
	for _, m := range r.Mounts {
		out.Mounts = append(out.Mounts, &proto.RunMount{
			Type: m.Type, Target: m.Target, Source: m.Source, From: m.From, Id: m.ID,
			Sharing: m.Sharing, Mode: m.Mode, ReadOnly: m.ReadOnly,
			Uid: int64(m.UID), Gid: int64(m.GID), Size: m.Size, Required: m.Required,
		})
	}
	return out
}
