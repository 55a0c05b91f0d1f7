package instructions

import (
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

func TestRun(t *testing.T) {
	base := sdk.Config{Env: []string{"PATH=/bin", "A=env"}, User: "app", WorkingDir: "/src"}
	tests := []struct {
		name    string
		in      sdk.Instruction
		config  sdk.Config
		args    map[string]string
		want    sdk.RunRequest
		history string
	}{
		{
			name: "shell form is not expanded by us",
			in:   inst("RUN", "echo $A && make"), config: base,
			want: sdk.RunRequest{Args: []string{"/bin/sh", "-c", "echo $A && make"},
				Env: []string{"PATH=/bin", "A=env"}, User: "app", WorkingDir: "/src", Network: "default"},
			history: "RUN /bin/sh -c echo $A && make # buildkit",
		},
		{
			name: "exec form as is, SHELL ignored",
			in:   jsonInst("RUN", "echo", "$A"), config: sdk.Config{Shell: []string{"/bin/bash", "-c"}},
			want:    sdk.RunRequest{Args: []string{"echo", "$A"}, Network: "default"},
			history: "RUN echo $A # buildkit",
		},
		{
			name: "SHELL applies to shell form",
			in:   inst("RUN", "ls"), config: sdk.Config{Shell: []string{"/bin/bash", "-eo", "pipefail", "-c"}},
			want:    sdk.RunRequest{Args: []string{"/bin/bash", "-eo", "pipefail", "-c", "ls"}, Network: "default"},
			history: "RUN /bin/bash -eo pipefail -c ls # buildkit",
		},
		{
			name: "build args join the environment, ENV wins",
			in:   inst("RUN", "env"), config: base, args: map[string]string{"B": "arg", "A": "arg"},
			want: sdk.RunRequest{Args: []string{"/bin/sh", "-c", "env"},
				Env: []string{"PATH=/bin", "A=env", "B=arg"}, User: "app", WorkingDir: "/src", Network: "default"},
			history: "RUN |2 A=env B=arg /bin/sh -c env # buildkit",
		},
		{
			name:    "network none",
			in:      inst("RUN", "true", flag("network", "none")),
			want:    sdk.RunRequest{Args: []string{"/bin/sh", "-c", "true"}, Network: "none"},
			history: "RUN /bin/sh -c true # buildkit",
		},
		{
			name: "network from an arg", args: map[string]string{"NET": "host"},
			in:      inst("RUN", "true", flag("network", "$NET")),
			want:    sdk.RunRequest{Args: []string{"/bin/sh", "-c", "true"}, Env: []string{"NET=host"}, Network: "host"},
			history: "RUN |1 NET=host /bin/sh -c true # buildkit",
		},
		{
			name:    "security sandbox is the default",
			in:      inst("RUN", "true", flag("security", "sandbox")),
			want:    sdk.RunRequest{Args: []string{"/bin/sh", "-c", "true"}, Network: "default"},
			history: "RUN /bin/sh -c true # buildkit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &fakeHost{}
			req := sdk.Request{Instruction: tt.in, Config: tt.config, BuildArgs: tt.args}
			resp := mustExecute(t, req, host)
			if len(host.runs) != 1 {
				t.Fatalf("%d runs, want 1", len(host.runs))
			}
			deepEqual(t, "run request", host.runs[0], tt.want)
			deepEqual(t, "config", resp.Config, tt.config)
			if resp.History != tt.history || resp.EmptyLayer {
				t.Errorf("history %q empty %v, want %q false", resp.History, resp.EmptyLayer, tt.history)
			}
		})
	}
}

func TestRunDoesNotPersistArgs(t *testing.T) {
	req := sdk.Request{Instruction: inst("RUN", "true"), Config: sdk.Config{Env: []string{"X=1"}}, BuildArgs: map[string]string{"Y": "2"}}
	resp := mustExecute(t, req, &fakeHost{})
	deepEqual(t, "env after RUN", resp.Config.Env, []string{"X=1"})
}

func TestRunExitCode(t *testing.T) {
	host := &fakeHost{exitCode: 3}
	_, err := execute(t, sdk.Request{Instruction: inst("RUN", "exit 3")}, host)
	want := `process "/bin/sh -c exit 3" did not complete successfully: exit code: 3`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestRunHeredoc(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		docs      []sdk.Heredoc
		wantArgs  []string
		wantStdin string
		history   string
	}{
		{
			name: "lone heredoc runs its body with the shell",
			args: "<<EOF", docs: []sdk.Heredoc{{Name: "EOF", Content: "echo a\necho b\n", Expand: true}},
			wantArgs: []string{"/bin/sh", "-c", "echo a\necho b\n"},
			history:  "RUN /bin/sh -c echo a\necho b\n # buildkit",
		},
		{
			name: "shebang runs the interpreter on stdin",
			args: "<<EOF", docs: []sdk.Heredoc{{Name: "EOF", Content: "#!/usr/bin/env python3\nprint(1)\n"}},
			wantArgs: []string{"/usr/bin/env", "python3", "/dev/stdin"}, wantStdin: "#!/usr/bin/env python3\nprint(1)\n",
			history: "RUN /bin/sh -c /dev/pipes/EOF # buildkit",
		},
		{
			name: "heredoc fed to a command goes to the shell whole",
			args: "python3 <<EOF", docs: []sdk.Heredoc{{Name: "EOF", Content: "print(1)\n"}},
			wantArgs: []string{"/bin/sh", "-c", "python3 <<EOF\nprint(1)\nEOF"},
			history:  "RUN /bin/sh -c python3 <<EOF\nprint(1)\nEOF # buildkit",
		},
		{
			name: "two heredocs",
			args: "cat <<A && cat <<B", docs: []sdk.Heredoc{{Name: "A", Content: "a\n"}, {Name: "B", Content: "b\n"}},
			wantArgs: []string{"/bin/sh", "-c", "cat <<A && cat <<B\na\nA\nb\nB"},
			history:  "RUN /bin/sh -c cat <<A && cat <<B\na\nA\nb\nB # buildkit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &fakeHost{}
			in := inst("RUN", tt.args)
			in.Heredocs = tt.docs
			resp := mustExecute(t, sdk.Request{Instruction: in}, host)
			deepEqual(t, "argv", host.runs[0].Args, tt.wantArgs)
			if string(host.runs[0].Stdin) != tt.wantStdin {
				t.Errorf("stdin %q, want %q", host.runs[0].Stdin, tt.wantStdin)
			}
			if resp.History != tt.history {
				t.Errorf("history %q, want %q", resp.History, tt.history)
			}
		})
	}
}

func TestRunMounts(t *testing.T) {
	tests := []struct {
		value string
		want  sdk.RunMount
	}{
		{"type=cache,target=/root/.cache", sdk.RunMount{Type: "cache", Target: "/root/.cache", ID: "/root/.cache", Sharing: "shared"}},
		{"type=cache,target=/c,id=go,sharing=locked,uid=1000,gid=1000,mode=0700",
			sdk.RunMount{Type: "cache", Target: "/c", ID: "go", Sharing: "locked", UID: 1000, GID: 1000, Mode: "0700"}},
		{"type=bind,source=go.sum,target=go.sum,from=deps",
			sdk.RunMount{Type: "bind", Target: "/src/go.sum", Source: "go.sum", From: "deps", ReadOnly: true}},
		{"target=/ctx,rw", sdk.RunMount{Type: "bind", Target: "/ctx"}},
		{"type=tmpfs,target=/tmp,size=64m", sdk.RunMount{Type: "tmpfs", Target: "/tmp", Size: 64 << 20}},
		{"type=secret,id=token", sdk.RunMount{Type: "secret", Target: "/run/secrets/token", ID: "token"}},
		{"type=secret,target=/etc/key", sdk.RunMount{Type: "secret", Target: "/etc/key", ID: "key"}},
		{"type=ssh", sdk.RunMount{Type: "ssh", Target: "/run/buildkit/ssh_agent.0", ID: "default"}},
		{"type=ssh,id=gh,required=true", sdk.RunMount{Type: "ssh", Target: "/run/buildkit/ssh_agent.0", ID: "gh", Required: true}},
		{"type=ssh,required=false", sdk.RunMount{Type: "ssh", Target: "/run/buildkit/ssh_agent.0", ID: "default"}},
		{"type=secret,id=token,required", sdk.RunMount{Type: "secret", Target: "/run/secrets/token", ID: "token", Required: true}},
		{"type=cache,target=$DIR", sdk.RunMount{Type: "cache", Target: "/var/cache/apt", ID: "/var/cache/apt", Sharing: "shared"}},
	}
	for _, tt := range tests {
		host := &fakeHost{}
		req := sdk.Request{
			Instruction: inst("RUN", "true", flag("mount", tt.value)),
			Config:      sdk.Config{WorkingDir: "/src"},
			BuildArgs:   map[string]string{"DIR": "/var/cache/apt"},
		}
		mustExecute(t, req, host)
		deepEqual(t, tt.value, host.runs[0].Mounts, []sdk.RunMount{tt.want})
	}
}

func TestRunErrors(t *testing.T) {
	run := func(flags ...sdk.Flag) sdk.Request { return sdk.Request{Instruction: inst("RUN", "true", flags...)} }
	wantErr(t, run(flag("mount", "type=nfs,target=/x")), `unsupported mount type "nfs"`)
	wantErr(t, run(flag("mount", "type=$T,target=/x")), `unsupported mount type ""`)
	wantErr(t, run(flag("mount", "type=secret,id=a,env=A")), "not supported")
	wantErr(t, run(flag("mount", "type=cache")), "requires a target")
	wantErr(t, run(flag("security", "insecure")), "--security=insecure is not supported")
	wantErr(t, run(flag("network", "bridge")), `network mode "bridge" not supported`)
	wantErr(t, run(flag("device", "x")), "unknown flag: --device")
	wantErr(t, sdk.Request{Instruction: sdk.Instruction{Keyword: "RUN"}}, "RUN requires at least one argument")
}
