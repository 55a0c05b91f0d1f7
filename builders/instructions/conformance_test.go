package instructions

import (
	"testing"

	"github.com/hull-project/hull/plugins/plugintest"
	"github.com/hull-project/hull/plugins/sdk"
)

// TestConformance runs the shared suite over the built-in handler: the
// same requests in process and served across a re-executed test binary.
func TestConformance(t *testing.T) {
	cfg := sdk.Config{Env: []string{"PATH=/bin", "N=web"}, WorkingDir: "/app", Labels: map[string]string{"a": "b"}}
	args := map[string]string{"V": "1"}
	c := func(name string, in sdk.Instruction, wantErr bool) plugintest.Case {
		return plugintest.Case{Name: name, WantErr: wantErr,
			Request: sdk.Request{Instruction: in, Config: cfg, BuildArgs: args, Stage: "0", Platform: "linux/amd64"}}
	}
	heredoc := inst("COPY", "<<EOF /etc/x")
	heredoc.Heredocs = []sdk.Heredoc{{Name: "EOF", Content: "v=$V\n", Expand: true}}
	plugintest.Run(t, func() sdk.Handler { return Builtins()[0] }, func() sdk.Host { return &fakeHost{} },
		c("run", inst("RUN", "make $V", flag("mount", "type=cache,target=/c"), flag("network", "none")), false),
		c("run exec", jsonInst("RUN", "make"), false),
		c("run insecure", inst("RUN", "x", flag("security", "insecure")), true),
		c("copy", inst("COPY", "a b ./", flag("chown", "1:1"), flag("exclude", "*.o")), false),
		c("copy heredoc", heredoc, false),
		c("add url", inst("ADD", "https://x.org/f /f", flag("checksum", "sha256:00")), false),
		c("add keep-git-dir", inst("ADD", "https://x.org/r.git /r", flag("keep-git-dir", "")), true),
		c("cmd", inst("CMD", "serve"), false),
		c("entrypoint", jsonInst("ENTRYPOINT", "/e"), false),
		c("env", inst("ENV", "A=$V B=$N"), false),
		c("label", inst("LABEL", "v=$V"), false),
		c("expose", inst("EXPOSE", "80 53/udp"), false),
		c("expose bad", inst("EXPOSE", "x"), true),
		c("volume", inst("VOLUME", "/d"), false),
		c("user", inst("USER", "u"), false),
		c("workdir", inst("WORKDIR", "sub"), false),
		c("stopsignal", inst("STOPSIGNAL", "SIGINT"), false),
		c("healthcheck", sdk.Instruction{Keyword: "HEALTHCHECK", Args: []string{"CMD", "true"}, Flags: []sdk.Flag{flag("interval", "5s")}}, false),
		c("healthcheck none", inst("HEALTHCHECK", "NONE"), false),
		c("shell", jsonInst("SHELL", "/bin/bash", "-c"), false),
		c("shell not json", inst("SHELL", "bash"), true),
		c("onbuild", inst("ONBUILD", "RUN true"), false),
		c("maintainer", inst("MAINTAINER", "me"), false),
	)
}
