package image

import (
	"reflect"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestApplyChanges(t *testing.T) {
	for _, c := range []struct {
		name    string
		start   ocispec.ImageConfig
		changes []string
		want    ocispec.ImageConfig
	}{
		{"env legacy", ocispec.ImageConfig{}, []string{"ENV PATH /usr/bin:/bin"},
			ocispec.ImageConfig{Env: []string{"PATH=/usr/bin:/bin"}}},
		{"env pairs replace in place", ocispec.ImageConfig{Env: []string{"A=0", "B=0"}},
			[]string{`ENV A=1 C="two words" D=a\ b`, "env B='x y'"},
			ocispec.ImageConfig{Env: []string{"A=1", "B=x y", "C=two words", "D=a b"}}},
		{"env legacy with spaces", ocispec.ImageConfig{}, []string{`ENV MSG hello  "big" world`},
			ocispec.ImageConfig{Env: []string{"MSG=hello  big world"}}},
		{"cmd exec form", ocispec.ImageConfig{}, []string{`CMD ["echo", "hi"]`},
			ocispec.ImageConfig{Cmd: []string{"echo", "hi"}}},
		{"cmd shell form", ocispec.ImageConfig{}, []string{"CMD echo $HOME && ls"},
			ocispec.ImageConfig{Cmd: []string{"/bin/sh", "-c", "echo $HOME && ls"}}},
		{"cmd bad json is shell form", ocispec.ImageConfig{}, []string{"CMD [echo"},
			ocispec.ImageConfig{Cmd: []string{"/bin/sh", "-c", "[echo"}}},
		{"entrypoint clears inherited cmd", ocispec.ImageConfig{Cmd: []string{"sh"}},
			[]string{`ENTRYPOINT ["/init"]`}, ocispec.ImageConfig{Entrypoint: []string{"/init"}}},
		{"entrypoint keeps cmd set before", ocispec.ImageConfig{},
			[]string{`CMD ["-x"]`, "ENTRYPOINT top -b"},
			ocispec.ImageConfig{Cmd: []string{"-x"}, Entrypoint: []string{"/bin/sh", "-c", "top -b"}}},
		{"workdir relative", ocispec.ImageConfig{WorkingDir: "/app"}, []string{"WORKDIR src", "WORKDIR ../lib/"},
			ocispec.ImageConfig{WorkingDir: "/app/lib"}},
		{"workdir absolute", ocispec.ImageConfig{WorkingDir: "/app"}, []string{`WORKDIR "/srv/my dir"`},
			ocispec.ImageConfig{WorkingDir: "/srv/my dir"}},
		{"user", ocispec.ImageConfig{}, []string{"USER 1000:1000"}, ocispec.ImageConfig{User: "1000:1000"}},
		{"label", ocispec.ImageConfig{}, []string{`LABEL a=b "c d"="e f"`, "LABEL version 1.0"},
			ocispec.ImageConfig{Labels: map[string]string{"a": "b", "c d": "e f", "version": "1.0"}}},
		{"expose", ocispec.ImageConfig{}, []string{"EXPOSE 80 53/UDP 8000-8002/tcp"},
			ocispec.ImageConfig{ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {},
				"8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {}}}},
		{"volume json and words", ocispec.ImageConfig{}, []string{`VOLUME ["/data", "/a b"]`, "volume /x /y"},
			ocispec.ImageConfig{Volumes: map[string]struct{}{"/data": {}, "/a b": {}, "/x": {}, "/y": {}}}},
		{"stopsignal", ocispec.ImageConfig{}, []string{"STOPSIGNAL SIGINT"}, ocispec.ImageConfig{StopSignal: "SIGINT"}},
		{"stopsignal number", ocispec.ImageConfig{}, []string{"STOPSIGNAL 9"}, ocispec.ImageConfig{StopSignal: "9"}},
		{"quotes in double quotes", ocispec.ImageConfig{}, []string{`ENV A="x\"y\z" B='\n'`},
			ocispec.ImageConfig{Env: []string{`A=x"y\z`, `B=\n`}}},
	} {
		cfg := c.start
		if err := ApplyChanges(&cfg, c.changes); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(cfg, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, cfg, c.want)
		}
	}
}

func TestApplyChangesErrors(t *testing.T) {
	for change, msg := range map[string]string{
		"RUN echo hi":        "unsupported --change instruction: RUN echo hi",
		"ONBUILD RUN x":      "unsupported --change instruction: ONBUILD",
		"FROM busybox":       "unsupported --change instruction: FROM",
		"":                   "unsupported --change instruction",
		"ENV":                "requires at least one argument",
		"ENV ONLYKEY":        "must have two arguments",
		"ENV A=1 B":          "key=value",
		"EXPOSE 70000":       "invalid port",
		"EXPOSE 80/icmp":     "invalid protocol",
		"EXPOSE 90-80":       "invalid port",
		"STOPSIGNAL SIGNOPE": "invalid signal",
		"STOPSIGNAL 0":       "invalid signal",
		`VOLUME ["/a", ""]`:  "empty string",
		"LABEL =x":           "key=value",
	} {
		var cfg ocispec.ImageConfig
		err := ApplyChanges(&cfg, []string{change})
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: err = %v, want %q", change, err, msg)
		}
	}
}
