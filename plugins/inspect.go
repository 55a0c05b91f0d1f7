//go:build !appsbin

package plugins

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/hull-project/hull/plugins/sdk"
	"github.com/hull-project/hull/plugins/sdk/proto"
)

// Inspect checks that the executable at path speaks hull's instruction
// plugin protocol the way hull's client relies on, over the wire and
// without go-plugin's client, so that a plugin in any language is judged
// by the same rules:
//
//   - started without the magic cookie, it exits non-zero without a
//     handshake;
//   - with it, it prints a handshake line CORE|APP|NETWORK|ADDR|grpc with
//     go-plugin's core version 1 and sdk.ProtocolVersion;
//   - its gRPC health service says "plugin" is SERVING;
//   - Handler.Info names it, with a version and upper-case keywords, and
//     gives the same answer twice;
//   - Handler.CacheInputs for each keyword with no arguments answers, or
//     rejects the request with an error of its own (not a crash);
//   - GRPCController.Shutdown makes it exit 0.
//
// Report.OK says whether every check passed; the error is only about
// reading the file.
func Inspect(ctx context.Context, path string, opts InspectOptions) (*Report, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.CallTimeout == 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	r := &Report{Path: path}
	sum, err := FileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("inspect plugin %s: %w", path, err)
	}
	r.SHA256 = sum
	defer func() {
		r.OK = len(r.Checks) > 0
		for _, c := range r.Checks {
			r.OK = r.OK && c.OK
		}
	}()
	if !r.add("executable", checkExecutable(path), "") {
		return r, nil
	}
	r.add("magic cookie", checkCookie(ctx, path, opts.StartTimeout), "exits without a handshake when not started by hull")

	p, err := startProbe(ctx, path, opts.StartTimeout)
	if p != nil {
		defer p.kill()
		r.Handshake = p.line
	}
	if !r.add("handshake", err, r.Handshake) {
		return r, nil
	}
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, opts.CallTimeout) }

	cctx, cancel := call()
	h, err := healthpb.NewHealthClient(p.conn).Check(cctx, &healthpb.HealthCheckRequest{Service: "plugin"})
	cancel()
	if err == nil && h.Status != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("service \"plugin\" is %s, want SERVING", h.Status)
	}
	r.add("health", p.note(err), "service \"plugin\" SERVING")

	handler := proto.NewHandlerClient(p.conn)
	info, err := probeInfo(call, handler)
	if status.Code(err) == codes.Unimplemented {
		err = fmt.Errorf("serves no hull.plugins.v1.Handler (not an instruction plugin; network plugins are not inspected): %w", err)
	}
	if r.add("info", p.note(err), "") {
		r.Kind, r.Info = sdk.PluginKind, info
		r.Checks[len(r.Checks)-1].Detail = fmt.Sprintf("%s %s: %s", info.Name, info.Version, strings.Join(info.Keywords, " "))
		for _, k := range info.Keywords {
			detail, err := probeCacheInputs(call, handler, k)
			r.add("cache inputs "+k, p.note(err), detail)
		}
	}
	r.add("shutdown", p.shutdown(call), "exits 0 on GRPCController.Shutdown")
	return r, nil
}

func probeInfo(call func() (context.Context, context.CancelFunc), h proto.HandlerClient) (sdk.Info, error) {
	var infos [2]sdk.Info
	for i := range infos {
		ctx, cancel := call()
		r, err := h.Info(ctx, &proto.Empty{})
		cancel()
		if err != nil {
			return sdk.Info{}, fmt.Errorf("Info: %w", err)
		}
		infos[i] = sdk.Info{Name: r.Name, Version: r.Version, Keywords: r.Keywords, Description: r.Description}
	}
	i := infos[0]
	if !reflect.DeepEqual(i, infos[1]) {
		return i, fmt.Errorf("%w: differs between two calls: %+v then %+v", ErrInvalidInfo, i, infos[1])
	}
	return i, ValidInfo(i)
}

// probeCacheInputs asks for the cache inputs of KEYWORD with no
// arguments: an answer or the handler's own error are both fine.
func probeCacheInputs(call func() (context.Context, context.CancelFunc), h proto.HandlerClient, keyword string) (string, error) {
	ctx, cancel := call()
	defer cancel()
	req := &proto.Request{Instruction: &proto.Instruction{Keyword: keyword, Original: keyword, File: "Dockerfile", Line: 1, EndLine: 1},
		Config: &proto.Config{}, Stage: "0", Platform: "linux/amd64"}
	_, err := h.CacheInputs(ctx, req)
	switch st := status.Convert(err); {
	case err == nil:
		return "accepts " + keyword + " with no arguments", nil
	case st.Code() == codes.Unknown:
		return "rejects " + keyword + " with no arguments: " + st.Message(), nil
	default:
		return "", fmt.Errorf("CacheInputs: %w", err)
	}
}

// probe is one plugin process started the way go-plugin starts it.
type probe struct {
	cmd    *exec.Cmd
	line   string
	conn   *grpc.ClientConn
	stdout *os.File
	stderr *lastBytes
	exited chan struct{}
}

// cookieEnv is the environment hull's go-plugin client gives a plugin.
func cookieEnv(cookie bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, sdk.MagicCookieKey+"=") && !strings.HasPrefix(kv, "PLUGIN_") {
			env = append(env, kv)
		}
	}
	if cookie {
		env = append(env, sdk.MagicCookieKey+"="+sdk.MagicCookieValue, "PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000",
			"PLUGIN_PROTOCOL_VERSIONS="+strconv.Itoa(sdk.ProtocolVersion))
	}
	return env
}

func launch(path string, cookie bool) (*probe, io.Reader, error) {
	p := &probe{cmd: exec.Command(path), stderr: &lastBytes{max: 4096}, exited: make(chan struct{})}
	p.cmd.Env = cookieEnv(cookie)
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A pipe of our own: exec.Cmd's would be closed by Wait, maybe before
	// what the plugin wrote just before it exited was read.
	out, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	p.cmd.Stdout = w
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return nil, nil, err
	}
	p.stdout = out
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, out, nil
}

// checkCookie starts the plugin without the magic cookie: it must exit
// non-zero, and print no handshake.
func checkCookie(ctx context.Context, path string, timeout time.Duration) error {
	p, out, err := launch(path, false)
	if err != nil {
		return err
	}
	defer p.kill()
	lines := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(io.LimitReader(out, 4096)); lines <- b }()
	select {
	case <-p.exited:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("still running %s after a start without %s", timeout, sdk.MagicCookieKey)
	}
	var b []byte
	select {
	case b = <-lines:
	case <-time.After(time.Second):
	}
	if bytes.Count(bytes.TrimSpace(b), []byte("|")) >= 3 {
		return fmt.Errorf("printed a handshake %q without %s", firstLine(string(b)), sdk.MagicCookieKey)
	}
	if p.cmd.ProcessState.ExitCode() == 0 {
		return fmt.Errorf("exited 0 without %s; want a non-zero exit", sdk.MagicCookieKey)
	}
	return nil
}

// startProbe launches the plugin, reads and checks its handshake line and
// dials the address it names. On error p is still returned (when the
// process started) so its handshake line and stderr can be reported.
func startProbe(ctx context.Context, path string, timeout time.Duration) (*probe, error) {
	p, out, err := launch(path, true)
	if err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			lines <- s.Text()
		} else {
			close(lines)
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			<-p.exited
			return p, fmt.Errorf("exited (%s) without a handshake%s", p.cmd.ProcessState, p.stderrNote())
		}
		p.line = strings.TrimSpace(line)
	case <-ctx.Done():
		return p, ctx.Err()
	case <-time.After(timeout):
		return p, fmt.Errorf("%w: no handshake within %s%s", ErrHung, timeout, p.stderrNote())
	}
	network, addr, err := parseHandshake(p.line)
	if err != nil {
		return p, err
	}
	p.conn, err = grpc.Dial(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, a)
		}))
	if err != nil {
		return p, fmt.Errorf("dial %s %s: %w", network, addr, err)
	}
	return p, nil
}

// parseHandshake checks a go-plugin handshake line and returns the address
// it names.
func parseHandshake(line string) (network, addr string, err error) {
	parts := strings.Split(line, "|")
	if len(parts) < 5 {
		return "", "", fmt.Errorf("handshake %q: want CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|grpc", line)
	}
	if parts[0] != "1" {
		return "", "", fmt.Errorf("handshake %q: go-plugin core protocol %q, want 1", line, parts[0])
	}
	if parts[1] != strconv.Itoa(sdk.ProtocolVersion) {
		return "", "", fmt.Errorf("%w: handshake %q: protocol %q, hull speaks %d", ErrProtocolVersion, line, parts[1], sdk.ProtocolVersion)
	}
	if parts[2] != "unix" && parts[2] != "tcp" {
		return "", "", fmt.Errorf("handshake %q: network %q, want unix or tcp", line, parts[2])
	}
	if parts[4] != "grpc" {
		return "", "", fmt.Errorf("handshake %q: protocol %q, want grpc", line, parts[4])
	}
	return parts[2], parts[3], nil
}

// note adds the plugin's exit and stderr to an error when it died.
func (p *probe) note(err error) error {
	if err == nil {
		return nil
	}
	select {
	case <-p.exited:
		return fmt.Errorf("%w; %w (%s)%s", err, ErrCrashed, p.cmd.ProcessState, p.stderrNote())
	case <-time.After(100 * time.Millisecond):
		return err
	}
}

// shutdown asks the plugin to exit, as go-plugin's client does when hull
// is done with it, and waits for it.
func (p *probe) shutdown(call func() (context.Context, context.CancelFunc)) error {
	ctx, cancel := call()
	defer cancel()
	// go-plugin's plugin.Empty: any empty message is the same bytes.
	err := p.conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &proto.Empty{}, &proto.Empty{})
	// The plugin may exit before its answer arrives.
	if err != nil && status.Code(err) != codes.Unavailable {
		return p.note(fmt.Errorf("Shutdown: %w", err))
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		return fmt.Errorf("still running after Shutdown")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("exited %s after Shutdown%s", p.cmd.ProcessState, p.stderrNote())
	}
	return nil
}

func (p *probe) stderrNote() string {
	if s := strings.TrimSpace(p.stderr.String()); s != "" {
		return "; stderr: " + s
	}
	return ""
}

func (p *probe) kill() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.exited
	_ = p.stdout.Close()
}

// lastBytes keeps the last max bytes written to it.
type lastBytes struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *lastBytes) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *lastBytes) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
