package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// builtinCopy stands in for hull's COPY: it records what it was handed
// and copies with the host, as the real one does.
func builtinCopy(got *[]sdk.Request) func(context.Context, sdk.Request, sdk.Host) (sdk.Response, error) {
	return func(ctx context.Context, req sdk.Request, host sdk.Host) (sdk.Response, error) {
		*got = append(*got, req)
		for _, f := range req.Instruction.Flags {
			if f.Name != "chown" {
				return sdk.Response{}, errors.New("unknown flag: --" + f.Name)
			}
		}
		words, _ := req.ArgWords()
		err := host.Copy(ctx, sdk.CopyRequest{Sources: words[:len(words)-1], Dest: words[len(words)-1]})
		return sdk.Response{Config: req.Config, History: "COPY " + strings.Join(words, " ")}, err
	}
}

func copyReq(flags []sdk.Flag, args string) sdk.Request {
	return sdk.Request{
		Instruction: sdk.Instruction{Keyword: "COPY", Flags: flags, Args: []string{args}, File: "Dockerfile", Line: 3},
		Config:      sdk.Config{Env: []string{"DIR=conf"}},
		BuildArgs:   map[string]string{"KEY": "server.key"},
	}
}

func TestGuard(t *testing.T) {
	ctx := context.Background()
	var got []sdk.Request
	host := plugintest.NewFakeHost(nil)
	host.BuiltinFunc = builtinCopy(&got)

	// Allowed: handed to the built-in unchanged; its response is ours.
	req := copyReq([]sdk.Flag{{Name: "chown", Value: "1:1"}}, "app $DIR /srv/")
	resp, err := guard{}.Execute(ctx, req, host)
	if err != nil || resp.History != "COPY app conf /srv/" {
		t.Fatalf("Execute = %+v, %v", resp, err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], req) {
		t.Errorf("the built-in got %+v, want %+v", got, req)
	}
	if c := host.Copies(); len(c) != 1 || !reflect.DeepEqual(c[0].Sources, []string{"app", "conf"}) {
		t.Errorf("copies = %+v", c)
	}

	// A secret, named directly or through a variable: refused, and the
	// built-in never runs.
	for _, args := range []string{".env /srv/", "certs/tls.pem /srv/", "$KEY /srv/", `["./.ssh/", "/root/"]`} {
		r := copyReq(nil, args)
		if strings.HasPrefix(args, "[") {
			r.Instruction.JSON, r.Instruction.Args = true, []string{"./.ssh/", "/root/"}
		}
		if _, err := (guard{}).Execute(ctx, r, host); err == nil || !strings.Contains(err.Error(), "looks like a secret") {
			t.Errorf("%s: err = %v", args, err)
		}
		if _, err := (guard{}).CacheInputs(ctx, r); err == nil {
			t.Errorf("%s: CacheInputs accepted it", args)
		}
	}
	if len(got) != 1 {
		t.Errorf("the built-in ran for a refused COPY: %+v", got[1:])
	}

	// --allow-secrets: delegated without the flag, which the built-in
	// would refuse.
	got = nil
	if _, err := (guard{}).Execute(ctx, copyReq([]sdk.Flag{{Name: "allow-secrets"}}, ".env /srv/"), host); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Instruction.Flags) != 0 {
		t.Errorf("the built-in got %+v", got)
	}
	if in, err := (guard{}).CacheInputs(ctx, copyReq(nil, "app /srv/")); err != nil || !in.Builtin {
		t.Errorf("CacheInputs = %+v, %v: want Builtin", in, err)
	}
}

// TestConformance runs the guard in process and across a real plugin
// process: Host.Builtin crosses the wire and back.
func TestConformance(t *testing.T) {
	var got []sdk.Request
	newHost := func() sdk.Host {
		h := plugintest.NewFakeHost(nil)
		h.BuiltinFunc = builtinCopy(&got)
		return h
	}
	plugintest.Run(t, func() sdk.Handler { return guard{} }, newHost,
		plugintest.Case{Name: "delegated", Request: copyReq([]sdk.Flag{{Name: "chown", Value: "1:1"}}, "app $DIR /srv/")},
		plugintest.Case{Name: "refused", Request: copyReq(nil, "id_rsa /root/"), WantErr: true},
		plugintest.Case{Name: "allowed", Request: copyReq([]sdk.Flag{{Name: "allow-secrets"}}, ".env /srv/")},
	)
}
