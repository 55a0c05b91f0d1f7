"""Serve a hull instruction plugin from Python.

This module is the whole protocol in one file, for plugins written without
hull's Go SDK: copy it next to your plugin. The contract is
plugins/sdk/proto/instruction.proto (the Handler service the plugin serves,
the Host service hull serves back); around it sits hashicorp/go-plugin's
gRPC protocol, which this module speaks:

- hull starts the plugin with HULL_PLUGIN=<cookie> in its environment; a
  process without it was not started by hull and exits 1;
- the plugin listens on a unix socket and prints one handshake line,
  CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|PROTOCOL,
  e.g. "1|1|unix|/tmp/plugin123/plugin.sock|grpc";
- on that socket it serves the Handler service, the gRPC health service
  (service "plugin" SERVING), go-plugin's GRPCBroker (how hull tells the
  plugin where its Host service listens), GRPCController (Shutdown) and
  GRPCStdio (what the plugin prints after the handshake);
- logs go to stderr, one line each; JSON lines in go-plugin's form
  ({"@level": "info", "@message": "..."}) keep their level.

A plugin is an object with three methods, taking and returning the
generated messages of instruction.proto:

    info() -> instruction_pb2.InfoResponse
    cache_inputs(request: Request) -> CacheInputsResponse
    execute(request: Request, host: Host) -> Response

Raise PluginError for a failure the build should report (the core adds the
Dockerfile line); any other exception is reported as an internal error of
the plugin, with its traceback on stderr. Calls may come concurrently.
"""

import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from concurrent import futures

import grpc

import goplugin_pb2
import goplugin_pb2_grpc
import health_pb2
import health_pb2_grpc
import instruction_pb2 as pb
import instruction_pb2_grpc as pb_grpc

# go-plugin's own protocol version, the first field of the handshake line.
CORE_PROTOCOL_VERSION = 1
# hull's instruction-plugin protocol (sdk.ProtocolVersion), the second field.
PROTOCOL_VERSION = 1
# The magic cookie (sdk.MagicCookieKey, sdk.MagicCookieValue).
MAGIC_COOKIE_KEY = "HULL_PLUGIN"
MAGIC_COOKIE_VALUE = "7f3c1e9a5b2d48e6a0c4f1b39d7e2a85"
# The largest gRPC message either side accepts (sdk.MaxMessage): it bounds
# Host.ReadFile and Host.WriteFile contents.
MAX_MESSAGE = 64 << 20
# How long dialing the Host waits for hull to announce it on the broker.
BROKER_TIMEOUT = 5.0

_GRPC_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
]


class PluginError(Exception):
    """An error the build reports as the plugin's answer to a step."""


class HostError(PluginError):
    """A Host call failed; the message is hull's. kind says why, as the gRPC
    code hull sent: "not-found", "permission", "exists", "invalid",
    "too-large", "failed-precondition" (not a directory, is a directory,
    directory not empty) or "" for anything else."""

    def __init__(self, message, kind=""):
        super().__init__(message)
        self.kind = kind


_KINDS = {
    grpc.StatusCode.NOT_FOUND: "not-found",
    grpc.StatusCode.PERMISSION_DENIED: "permission",
    grpc.StatusCode.ALREADY_EXISTS: "exists",
    grpc.StatusCode.INVALID_ARGUMENT: "invalid",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "too-large",
    grpc.StatusCode.FAILED_PRECONDITION: "failed-precondition",
}


def log(message, level="info"):
    """Write one log line to stderr in go-plugin's JSON form."""
    line = json.dumps({"@level": level, "@message": message, "@module": "plugin",
                       "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Host:
    """What a plugin may ask hull to do during one execute call. Paths are
    absolute paths in the stage's root filesystem; hull resolves them
    inside it and rejects anything that would escape."""

    def __init__(self, stub, call_id):
        self._stub = stub
        self._call = call_id

    def _do(self, op, method, request):
        try:
            return method(request)
        except grpc.RpcError as e:
            raise HostError("host %s: %s" % (op, e.details()), _KINDS.get(e.code(), "")) from None

    def run(self, args, env=(), user="", working_dir="", network="", stdin=b"",
            capture_output=False, max_output=0):
        """Run a command in the build container; returns its RunResult
        (exit_code; stdout and stderr with capture_output)."""
        return self._do("run", self._stub.Run, pb.RunRequest(
            call_id=self._call, args=args, env=env, user=user, working_dir=working_dir,
            network=network, stdin=stdin, capture_output=capture_output, max_output=max_output))

    def copy(self, sources, dest, **fields):
        """Copy from the build context (or from=stage/image) into the root
        filesystem; fields are those of CopyRequest."""
        self._do("copy", self._stub.Copy, pb.CopyRequest(
            call_id=self._call, sources=sources, dest=dest, **fields))

    def read_file(self, path):
        """The content of one file of the root filesystem, as bytes."""
        return self._do("read file", self._stub.ReadFile,
                        pb.ReadFileRequest(call_id=self._call, path=path)).content

    def write_file(self, path, content, mode=0, chown=""):
        """Write one file (mode 0 = 0644), creating missing parents."""
        self._do("write file", self._stub.WriteFile, pb.WriteFileRequest(
            call_id=self._call, path=path, content=content, mode=mode, chown=chown))

    def log(self, message):
        """One line of build output."""
        self._do("log", self._stub.Log, pb.LogRequest(call_id=self._call, message=message))

    def stat(self, path, no_follow=False):
        """A file's FileInfo (symlinks inside the root followed, unless
        no_follow)."""
        return self._do("stat", self._stub.Stat, pb.StatRequest(call_id=self._call, path=path, no_follow=no_follow))

    def list_dir(self, path):
        """A directory's entries (FileInfo), sorted by name."""
        return list(self._do("list dir", self._stub.ListDir, pb.ListDirRequest(call_id=self._call, path=path)).entries)

    def remove(self, path, recursive=False):
        self._do("remove", self._stub.Remove, pb.RemoveRequest(call_id=self._call, path=path, recursive=recursive))

    def mkdir(self, path, mode=0o755, parents=False, chown=""):
        self._do("mkdir", self._stub.Mkdir, pb.MkdirRequest(
            call_id=self._call, path=path, mode=mode, parents=parents, chown=chown))

    def symlink(self, path, target, chown=""):
        self._do("symlink", self._stub.Symlink, pb.SymlinkRequest(
            call_id=self._call, path=path, target=target, chown=chown))

    def builtin(self, request):
        """Run hull's built-in handler of request's keyword (a Request) with
        this Host; returns its Response."""
        return self._do("builtin", self._stub.Builtin, pb.BuiltinRequest(call_id=self._call, request=request))


class _Broker(goplugin_pb2_grpc.GRPCBrokerServicer):
    """go-plugin's broker, plugin side, without multiplexing: hull sends a
    ConnInfo for each service it serves to the plugin; dial() waits for the
    one with the id it is given and connects to its address."""

    def __init__(self):
        self._cond = threading.Condition()
        self._infos = {}
        self._channels = {}

    def StartStream(self, request_iterator, context):
        for info in request_iterator:
            with self._cond:
                self._infos[info.service_id] = info
                self._cond.notify_all()
        return
        yield  # a generator: the stream back stays empty

    def dial(self, service_id):
        with self._cond:
            if service_id in self._channels:
                return self._channels[service_id]
            if not self._cond.wait_for(lambda: service_id in self._infos, BROKER_TIMEOUT):
                raise HostError("host: no connection info for broker id %d" % service_id)
            info = self._infos[service_id]
            if info.network == "unix":
                target = "unix:" + info.address
            elif info.network == "tcp":
                target = info.address
            else:
                raise HostError("host: broker network %r" % info.network)
            channel = grpc.insecure_channel(target, options=_GRPC_OPTIONS)
            self._channels[service_id] = channel
            return channel


class _Controller(goplugin_pb2_grpc.GRPCControllerServicer):
    def __init__(self, done):
        self._done = done

    def Shutdown(self, request, context):
        self._done.set()
        return goplugin_pb2.Empty()


class _Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service in ("", "plugin"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service %r" % request.service)

    def Watch(self, request, context):
        yield self.Check(request, context)


class _Stdio(goplugin_pb2_grpc.GRPCStdioServicer):
    """Streams what the plugin prints to stdout after the handshake."""

    def __init__(self, chunks, done):
        self._chunks = chunks
        self._done = done

    def StreamStdio(self, request, context):
        while context.is_active() and not self._done.is_set():
            try:
                data = self._chunks.get(timeout=0.5)
            except queue.Empty:
                continue
            if data is None:
                return
            yield goplugin_pb2.StdioData(channel=goplugin_pb2.StdioData.STDOUT, data=data)


class _Handler(pb_grpc.HandlerServicer):
    def __init__(self, plugin, broker):
        self._plugin = plugin
        self._broker = broker

    def _call(self, context, fn, *args):
        try:
            return fn(*args)
        except PluginError as e:
            # UNKNOWN is how a handler's own error reaches hull.
            context.abort(grpc.StatusCode.UNKNOWN, str(e))
        except Exception as e:  # a bug in the plugin: report it, keep serving
            log("".join(traceback.format_exception(e)), "error")
            context.abort(grpc.StatusCode.UNKNOWN, "internal error: %s: %s" % (type(e).__name__, e))

    def Info(self, request, context):
        return self._call(context, self._plugin.info)

    def CacheInputs(self, request, context):
        return self._call(context, self._plugin.cache_inputs, request)

    def Execute(self, request, context):
        def run():
            host = Host(pb_grpc.HostStub(self._broker.dial(request.host_broker_id)), request.call_id)
            return self._plugin.execute(request.request, host)
        return self._call(context, run)


def _listen_dir():
    # hull (go-plugin) may name the directory for sockets.
    return tempfile.mkdtemp(prefix="plugin", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)


def _redirect_stdout(chunks):
    """Point fd 1 at a pipe whose data goes out through GRPCStdio: after the
    handshake hull no longer reads the real stdout."""
    sys.stdout.flush()
    r, w = os.pipe()
    os.dup2(w, 1)
    os.close(w)

    def pump():
        while True:
            data = os.read(r, 32 << 10)
            if not data:
                chunks.put(None)
                return
            chunks.put(data)

    threading.Thread(target=pump, daemon=True).start()


def serve(plugin):
    """Serve plugin until hull asks it to shut down; never returns."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write("This program is a hull plugin: hull starts it when a build needs it.\n"
                         "Install it in ~/.config/hull/plugins (see docs/plugins.md).\n")
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    if versions and str(PROTOCOL_VERSION) not in versions.split(","):
        # Answer anyway: hull reports the mismatch with both versions.
        log("hull speaks plugin protocol %s, this plugin %d" % (versions, PROTOCOL_VERSION), "warn")
    # hull handles Ctrl-C and then shuts its plugins down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    sockdir = _listen_dir()
    address = os.path.join(sockdir, "plugin.sock")
    done = threading.Event()
    chunks = queue.Queue()
    broker = _Broker()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=_GRPC_OPTIONS)
    pb_grpc.add_HandlerServicer_to_server(_Handler(plugin, broker), server)
    health_pb2_grpc.add_HealthServicer_to_server(_Health(), server)
    goplugin_pb2_grpc.add_GRPCBrokerServicer_to_server(broker, server)
    goplugin_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(done), server)
    goplugin_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(chunks, done), server)
    try:
        if server.add_insecure_port("unix:" + address) == 0:
            raise OSError("cannot listen on " + address)
        server.start()
        sys.stdout.write("%d|%d|unix|%s|grpc\n" % (CORE_PROTOCOL_VERSION, PROTOCOL_VERSION, address))
        _redirect_stdout(chunks)
        done.wait()
        server.stop(1).wait()
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)
    sys.stderr.flush()
    # grpc's threads may not end on their own: leave now.
    os._exit(0)
