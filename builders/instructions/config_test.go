package instructions

import (
	"testing"
	"time"

	"github.com/hull-project/hull/plugins/sdk"
)

func TestConfigInstructions(t *testing.T) {
	base := sdk.Config{
		Env:        []string{"PATH=/bin", "NAME=web"},
		Cmd:        []string{"base-cmd"},
		WorkingDir: "/app",
		Labels:     map[string]string{"old": "1"},
	}
	args := map[string]string{"VER": "1.2", "NAME": "from-arg", "PORT": "8080"}
	tests := []struct {
		name    string
		in      sdk.Instruction
		edit    func(c *sdk.Config) // what the instruction changes in base
		history string
	}{
		{"CMD shell form", inst("CMD", "echo $NAME"),
			func(c *sdk.Config) { c.Cmd, c.ArgsEscaped = []string{"/bin/sh", "-c", "echo $NAME"}, true },
			`CMD ["/bin/sh" "-c" "echo $NAME"]`},
		{"CMD JSON form", jsonInst("CMD", "nginx", "-g", "daemon off;"),
			func(c *sdk.Config) { c.Cmd, c.ArgsEscaped = []string{"nginx", "-g", "daemon off;"}, true },
			`CMD ["nginx" "-g" "daemon off;"]`},
		{"ENTRYPOINT clears an inherited CMD", jsonInst("ENTRYPOINT", "/entry.sh"),
			func(c *sdk.Config) { c.Entrypoint, c.Cmd = []string{"/entry.sh"}, nil },
			`ENTRYPOINT ["/entry.sh"]`},
		{"ENTRYPOINT shell form", inst("ENTRYPOINT", "exec app"),
			func(c *sdk.Config) { c.Entrypoint, c.Cmd = []string{"/bin/sh", "-c", "exec app"}, nil },
			`ENTRYPOINT ["/bin/sh" "-c" "exec app"]`},
		{"ENV pairs see the state before the instruction", inst("ENV", `NAME=api GREETING="hi $NAME" V=${VER}`),
			func(c *sdk.Config) { c.Env = []string{"PATH=/bin", "NAME=api", "GREETING=hi web", "V=1.2"} },
			"ENV NAME=api GREETING=hi web V=1.2"},
		{"ENV legacy form", inst("ENV", "PATH /usr/bin:$PATH"),
			func(c *sdk.Config) { c.Env = []string{"PATH=/usr/bin:/bin", "NAME=web"} },
			"ENV PATH=/usr/bin:/bin"},
		{"LABEL expanded", inst("LABEL", `version=$VER "com.example.desc"="a b"`),
			func(c *sdk.Config) {
				c.Labels = map[string]string{"old": "1", "version": "1.2", "com.example.desc": "a b"}
			},
			"LABEL version=1.2 com.example.desc=a b"},
		{"EXPOSE ports, ranges, protocols", inst("EXPOSE", "80 $PORT/udp 9000-9002/tcp 53/UDP"),
			func(c *sdk.Config) {
				c.ExposedPorts = []string{"80/tcp", "8080/udp", "9000/tcp", "9001/tcp", "9002/tcp", "53/udp"}
			},
			"EXPOSE [80/tcp 8080/udp 9000/tcp 9001/tcp 9002/tcp 53/udp]"},
		{"VOLUME words", inst("VOLUME", "/data /logs/$NAME"),
			func(c *sdk.Config) { c.Volumes = []string{"/data", "/logs/web"} }, "VOLUME [/data /logs/web]"},
		{"VOLUME JSON", jsonInst("VOLUME", "/var/lib/$NAME"),
			func(c *sdk.Config) { c.Volumes = []string{"/var/lib/web"} }, "VOLUME [/var/lib/web]"},
		{"USER expanded", inst("USER", "${NAME}:staff"),
			func(c *sdk.Config) { c.User = "web:staff" }, "USER web:staff"},
		{"WORKDIR relative to the previous one", inst("WORKDIR", "src/$NAME/"),
			func(c *sdk.Config) { c.WorkingDir = "/app/src/web" }, "WORKDIR /app/src/web"},
		{"WORKDIR absolute", inst("WORKDIR", "/srv/../opt"),
			func(c *sdk.Config) { c.WorkingDir = "/opt" }, "WORKDIR /opt"},
		{"STOPSIGNAL", inst("STOPSIGNAL", "SIGQUIT"),
			func(c *sdk.Config) { c.StopSignal = "SIGQUIT" }, "STOPSIGNAL SIGQUIT"},
		{"STOPSIGNAL number", inst("STOPSIGNAL", "9"),
			func(c *sdk.Config) { c.StopSignal = "9" }, "STOPSIGNAL 9"},
		{"SHELL", jsonInst("SHELL", "/bin/bash", "-c"),
			func(c *sdk.Config) { c.Shell = []string{"/bin/bash", "-c"} }, "SHELL [/bin/bash -c]"},
		{"ONBUILD keeps the trigger raw", inst("ONBUILD", "RUN echo $NAME"),
			func(c *sdk.Config) { c.OnBuild = []string{"RUN echo $NAME"} }, "ONBUILD RUN echo $NAME"},
		{"HEALTHCHECK NONE", inst("HEALTHCHECK", "NONE"),
			func(c *sdk.Config) { c.Healthcheck = &sdk.Healthcheck{Test: []string{"NONE"}} },
			"HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}"},
		{"HEALTHCHECK shell form with flags",
			sdk.Instruction{Keyword: "HEALTHCHECK", Args: []string{"CMD", "curl -f http://localhost/ || exit 1"},
				Flags: []sdk.Flag{flag("interval", "30s"), flag("timeout", "3s"), flag("start-period", "1m"), flag("retries", "3")}},
			func(c *sdk.Config) {
				c.Healthcheck = &sdk.Healthcheck{Test: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"},
					Interval: 30 * time.Second, Timeout: 3 * time.Second, StartPeriod: time.Minute, Retries: 3}
			},
			"HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/ || exit 1] Interval:30s Timeout:3s StartPeriod:1m0s StartInterval:0s Retries:3}"},
		{"HEALTHCHECK JSON form", sdk.Instruction{Keyword: "HEALTHCHECK", Args: []string{"CMD", "/check", "-q"}, JSON: true},
			func(c *sdk.Config) { c.Healthcheck = &sdk.Healthcheck{Test: []string{"CMD", "/check", "-q"}} },
			"HEALTHCHECK {Test:[CMD /check -q] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}"},
		{"HEALTHCHECK raw text", inst("HEALTHCHECK", `CMD ["/check"]`),
			func(c *sdk.Config) { c.Healthcheck = &sdk.Healthcheck{Test: []string{"CMD", "/check"}} },
			"HEALTHCHECK {Test:[CMD /check] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &fakeHost{}
			before := cloneConfig(base)
			req := sdk.Request{Instruction: tt.in, Config: base, BuildArgs: args}
			resp := mustExecute(t, req, host)
			want := cloneConfig(base)
			tt.edit(&want)
			deepEqual(t, "config", resp.Config, want)
			deepEqual(t, "request config untouched", base, before)
			if resp.History != tt.history || !resp.EmptyLayer {
				t.Errorf("history %q empty %v, want %q true", resp.History, resp.EmptyLayer, tt.history)
			}
			if len(host.runs)+len(host.copies)+len(host.writes) != 0 {
				t.Errorf("a config instruction called the host: %+v", host)
			}
		})
	}
}

func TestCmdAfterEntrypoint(t *testing.T) {
	resp := mustExecute(t, sdk.Request{Instruction: jsonInst("ENTRYPOINT", "app")}, &fakeHost{})
	resp = mustExecute(t, sdk.Request{Instruction: jsonInst("CMD", "--help"), Config: resp.Config}, &fakeHost{})
	deepEqual(t, "entrypoint", resp.Config.Entrypoint, []string{"app"})
	deepEqual(t, "cmd", resp.Config.Cmd, []string{"--help"})
}

func TestExposeKeepsExisting(t *testing.T) {
	req := sdk.Request{Instruction: inst("EXPOSE", "80 443"), Config: sdk.Config{ExposedPorts: []string{"80/tcp"}}}
	resp := mustExecute(t, req, &fakeHost{})
	deepEqual(t, "ports", resp.Config.ExposedPorts, []string{"80/tcp", "443/tcp"})
}

func TestMaintainerLogs(t *testing.T) {
	host := &fakeHost{}
	resp := mustExecute(t, sdk.Request{Instruction: inst("MAINTAINER", "Jane <j@x.org>")}, host)
	if resp.History != "MAINTAINER Jane <j@x.org>" || !resp.EmptyLayer || len(host.logs) != 1 {
		t.Errorf("history %q empty %v logs %q", resp.History, resp.EmptyLayer, host.logs)
	}
}

func TestConfigErrors(t *testing.T) {
	req := func(in sdk.Instruction) sdk.Request { return sdk.Request{Instruction: in} }
	wantErr(t, req(inst("SHELL", "/bin/bash -c")), "SHELL requires the arguments to be in JSON form")
	wantErr(t, req(jsonInst("SHELL")), "SHELL requires at least one argument")
	wantErr(t, req(inst("EXPOSE", "80/icmp")), "invalid proto")
	wantErr(t, req(inst("EXPOSE", "http")), `invalid port "http"`)
	wantErr(t, req(inst("EXPOSE", "70000")), "must be 0-65535")
	wantErr(t, req(inst("EXPOSE", "90-80")), "invalid port range")
	wantErr(t, req(inst("HEALTHCHECK", "CMD true", flag("interval", "soon"))), `--interval: invalid duration "soon"`)
	wantErr(t, req(inst("HEALTHCHECK", "CMD true", flag("timeout", "1us"))), "cannot be less than 1ms")
	wantErr(t, req(inst("HEALTHCHECK", "CMD true", flag("retries", "-1"))), "--retries")
	wantErr(t, req(inst("HEALTHCHECK", "NONE", flag("interval", "1s"))), "takes no flags")
	wantErr(t, req(inst("HEALTHCHECK", "RUN true")), "unknown type")
	wantErr(t, req(inst("HEALTHCHECK", "CMD")), "missing command")
	wantErr(t, req(inst("STOPSIGNAL", "SIGNOPE")), "invalid signal")
	wantErr(t, req(inst("ENV", "A")), "ENV must have two arguments")
	wantErr(t, req(inst("ENV", "A=${B:?unset}")), "unset")
	wantErr(t, req(inst("VOLUME", `""`)), "VOLUME requires at least one argument")
	wantErr(t, req(jsonInst("VOLUME", "")), "can not be an empty string")
	wantErr(t, req(inst("USER", "")), "USER requires exactly one argument")
	wantErr(t, req(inst("USER", "x", flag("chown", "y"))), "unknown flag")
	wantErr(t, req(inst("CMD", "")), "CMD requires at least one argument")
	wantErr(t, req(inst("FROM", "alpine")), `unknown keyword "FROM"`)
}
