package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"google.golang.org/grpc"
)

// stderr is the process's real standard error, taken before Serve: go-plugin
// points os.Stderr at a pipe it streams to hull asynchronously, so a line
// written just before a crash could be lost. Serve puts it back (see
// restoreStderr) so that what a plugin writes to os.Stderr reaches hull
// at once, in order, also from Info and CacheInputs.
var stderr = os.Stderr

var restoreOnce sync.Once

// restoreStderr undoes go-plugin's redirection of os.Stderr. It runs at the
// first call hull makes, which go-plugin serves only after it redirected.
func restoreStderr() {
	restoreOnce.Do(func() { os.Stderr = stderr })
}

var (
	loggerOnce sync.Once
	logger     *slog.Logger
)

// Logger returns a logger writing one line per record to stderr. Use it,
// or simply os.Stderr, from any method (Info, CacheInputs, Execute) and
// from main: hull keeps the last lines of a plugin's stderr for its errors
// when the plugin crashes or hangs, and shows every line live, prefixed with
// the plugin's name, with HULL_PLUGIN_LOG=debug (or hull --debug). What the
// user should see in the build output goes through Host.Log instead.
func Logger() *slog.Logger {
	loggerOnce.Do(func() {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			// hull stamps the lines it shows; a second time is noise.
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
	})
	return logger
}

// unaryInterceptor runs around every call hull makes: it restores
// os.Stderr, and turns a panic in a handler (Info, CacheInputs, Execute)
// into an error for that call, "panic: MESSAGE" on one line, so that one bad
// instruction does not take the plugin down; the stack goes to stderr.
func unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	restoreStderr()
	defer recoverError(info.FullMethod, &err)
	return handler(ctx, req)
}

// recoverError turns a panic into *err; method names the call on stderr.
func recoverError(method string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		method = method[i+1:]
	}
	fmt.Fprintf(stderr, "hull plugin: recovered a panic in %s: %v\n%s", method, r, debug.Stack())
	*err = fmt.Errorf("panic: %s", strings.Join(strings.Fields(fmt.Sprint(r)), " "))
}
