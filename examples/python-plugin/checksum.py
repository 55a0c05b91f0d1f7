"""CHECKSUM: write or verify sha256sum-style checksum files in the image.

    CHECKSUM [--algorithm=sha256] <file>... <dest>
        reads each <file> from the image being built (for a directory,
        every regular file under it) and writes "<hex>  <path>" lines, one
        per file, to <dest> (mode 0644, or --mode=0600; owned by --chown),
        as sha256sum does;
    CHECKSUM --verify [--algorithm=sha256] <sums-file>
        reads <sums-file> from the image and fails the build, naming every
        file that differs or is missing, unless all the sums match. It
        changes no file, so it commits no layer.

Relative paths are taken from WORKDIR, as COPY does, and $VAR or ${VAR}
expand from the build args in scope and then ENV. --algorithm is one of
sha256 (the default), sha384, sha512 or sha1.
"""

import hashlib
import re
import shlex

import instruction_pb2 as pb
from hullplugin import HostError, PluginError

KEYWORD = "CHECKSUM"
ALGORITHMS = ("sha256", "sha384", "sha512", "sha1")
_SUM_LINE = re.compile(r"^([0-9a-fA-F]+) [ *](.+)$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class Checksum:
    def info(self):
        return pb.InfoResponse(
            name="checksum", version="1.0.0", keywords=[KEYWORD],
            description="write or verify sha256sum-style checksum files of files in the image")

    def cache_inputs(self, request):
        # Check the arguments now, before any step runs. The files read are
        # in the parent layer and the arguments in the instruction text:
        # both are already in the cache key.
        _parse(request)
        return pb.CacheInputsResponse()

    def execute(self, request, host):
        step = _parse(request)
        if step.verify:
            return self._verify(request, host, step)
        lines = []
        for path in _files(host, step.files):
            lines.append("%s  %s\n" % (_digest(host, step.algorithm, path), path))
        text = "".join(lines).encode()
        try:
            host.write_file(step.dest, text, mode=step.mode, chown=step.chown)
        except PluginError as e:
            raise PluginError("%s write %s: %s" % (KEYWORD, step.dest, e)) from None
        host.log("%s %d files -> %s (%s)" % (KEYWORD, len(lines), step.dest, step.algorithm))
        return pb.Response(config=request.config,
                           history="%s %s # hull-checksum" % (KEYWORD, " ".join(step.files + [step.dest])))

    def _verify(self, request, host, step):
        sums = _read(host, step.sumsfile).decode("utf-8", "replace")
        bad, n = [], 0
        for i, line in enumerate(sums.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = _SUM_LINE.match(line)
            if not m:
                raise PluginError("%s --verify %s:%d: not a checksum line: %r" % (KEYWORD, step.sumsfile, i, line))
            want, path = m.group(1).lower(), _abs(m.group(2), request.config.working_dir)
            n += 1
            try:
                got = _digest(host, step.algorithm, path)
            except HostError as e:
                if e.kind != "not-found":
                    raise PluginError("%s --verify %s: %s" % (KEYWORD, step.sumsfile, e)) from None
                bad.append(path + " (missing)")
                continue
            if got != want:
                bad.append(path)
        if bad:
            raise PluginError("%s --verify %s: %s mismatch: %s" % (KEYWORD, step.sumsfile, step.algorithm, ", ".join(bad)))
        if n == 0:
            raise PluginError("%s --verify %s: no checksums in the file" % (KEYWORD, step.sumsfile))
        host.log("%s --verify %s: %d files OK" % (KEYWORD, step.sumsfile, n))
        return pb.Response(config=request.config, empty_layer=True,
                           history="%s --verify %s # hull-checksum" % (KEYWORD, step.sumsfile))


class _Step:
    verify = False
    algorithm = "sha256"
    mode = 0o644
    chown = ""
    files = ()
    dest = ""
    sumsfile = ""


def _parse(request):
    ins = request.instruction
    if ins.keyword != KEYWORD:
        raise PluginError("this plugin handles %s, not %s" % (KEYWORD, ins.keyword))
    step = _Step()
    for f in ins.flags:
        if f.name == "verify" and f.value in ("", "true"):
            step.verify = True
        elif f.name == "algorithm" and f.value in ALGORITHMS:
            step.algorithm = f.value
        elif f.name == "algorithm":
            raise PluginError("%s --algorithm=%s: want one of %s" % (KEYWORD, f.value, ", ".join(ALGORITHMS)))
        elif f.name == "mode":
            try:
                step.mode = int(f.value, 8)
            except ValueError:
                step.mode = -1
            if not 0 <= step.mode <= 0o7777:
                raise PluginError("%s --mode=%s: want octal permissions" % (KEYWORD, f.value))
        elif f.name == "chown":
            step.chown = f.value
        else:
            raise PluginError("%s: unknown flag --%s" % (KEYWORD, f.name))
    args = list(ins.args)
    if not ins.json and len(args) == 1:
        # Shell form arrives as one raw string: split it into words.
        try:
            args = shlex.split(args[0])
        except ValueError as e:
            raise PluginError("%s: %s" % (KEYWORD, e)) from None
    lookup = _lookup(request)
    args = [_abs(_expand(a, lookup), request.config.working_dir) for a in args]
    if step.verify:
        if len(args) != 1:
            raise PluginError("%s --verify wants one <sums-file>, got %d arguments" % (KEYWORD, len(args)))
        if step.mode != 0o644 or step.chown:
            raise PluginError("%s --verify writes no file: --mode and --chown do not apply" % KEYWORD)
        step.sumsfile = args[0]
    else:
        if len(args) < 2:
            raise PluginError("%s wants <file>... <dest>, got %d arguments" % (KEYWORD, len(args)))
        step.files, step.dest = args[:-1], args[-1]
        if step.dest.endswith("/"):
            raise PluginError("%s: <dest> %s names a directory, want a file" % (KEYWORD, step.dest))
    return step


# Go's fs.FileMode type bits, as Host.Stat and Host.ListDir send them.
_MODE_DIR = 1 << 31
_MODE_TYPE = _MODE_DIR | 1 << 27 | 1 << 26 | 1 << 25 | 1 << 24 | 1 << 21 | 1 << 19


def _files(host, paths):
    """The files to sum: each path, or for a directory every regular file
    under it, by name (symlinks and special files inside are skipped)."""
    out = []
    for path in paths:
        try:
            info = host.stat(path)
        except HostError as e:
            raise HostError("%s stat %s: %s" % (KEYWORD, path, e), e.kind) from None
        if info.mode & _MODE_DIR:
            out.extend(_walk(host, path))
        else:
            out.append(path)
    return out


def _walk(host, top):
    files = []
    for entry in host.list_dir(top):
        path = top.rstrip("/") + "/" + entry.name
        if entry.mode & _MODE_DIR:
            files.extend(_walk(host, path))
        elif not entry.mode & _MODE_TYPE:
            files.append(path)
    return files


def _read(host, path):
    try:
        return host.read_file(path)
    except HostError as e:
        # Keep the kind: --verify tells a missing file from other errors.
        raise HostError("%s read %s: %s" % (KEYWORD, path, e), e.kind) from None


def _digest(host, algorithm, path):
    return hashlib.new(algorithm, _read(host, path)).hexdigest()


def _abs(path, workdir):
    """path resolved against WORKDIR, cleaned; hull checks it stays inside
    the root filesystem."""
    if not path.startswith("/"):
        path = (workdir or "/").rstrip("/") + "/" + path
    parts = []
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/" + "/".join(parts)


def _lookup(request):
    env = {}
    for kv in request.config.env:
        k, _, v = kv.partition("=")
        env[k] = v
    env.update(request.build_args)
    return env


def _expand(word, values):
    return _VAR.sub(lambda m: values.get(m.group(1) or m.group(2), ""), word)
