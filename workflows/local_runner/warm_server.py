"""The warm-start server: one process per local run that imports the steps' libraries once and forks each step.

A step process on the local platform is `python -m hera.workflows.runner -e module:function inputs.json`, as in
its container. Started fresh, each one spends seconds importing the same libraries (Hera, MLflow, torch,
transformers, PEFT, lm-evaluation-harness) before its first line runs. This server imports them once, then,
for each step, forks a child that becomes that command: its own session, stdout and stderr on the runner's
pipes, stdin from /dev/null, the step's working directory and environment, `hera.workflows.runner` run as
`__main__` with the step's arguments, the interpreter's exit sequence (non-daemon threads joined, atexit
handlers run, streams flushed) and its exit status. No module of the project is imported here, so every
project module a step uses is imported by the step itself, as in a fresh process.

It is run by path (`python warm_server.py SOCKET MODULE,MODULE,...`: the modules to import, lightest first),
never imported, by `warm_start.py`, which decides which
steps may be forked (the environment the libraries read at import time must equal this process's).

Protocol, one Unix-socket connection per step: the runner sends a length-prefixed JSON request
`{"argv", "env", "cwd"}` with the write ends of the step's stdout and stderr pipes attached (SCM_RIGHTS); the
server answers `{"pid": N}` once forked, then `{"exit": code}` (negative: killed by that signal) when the
child is reaped. Libraries are imported lightest first, serving requests between imports, so a step that
arrives early is forked with what is loaded so far and imports the rest itself. The server exits when its
stdin (a pipe from the runner) closes.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
import traceback

HEADER = struct.Struct("!I")
MAX_FDS = 2


def _send(conn: socket.socket, message: dict) -> None:
    body = json.dumps(message).encode()
    with contextlib.suppress(OSError):  # the runner went away; the child runs on, as a fresh process would
        conn.sendall(HEADER.pack(len(body)) + body)


def read_frame(conn: socket.socket, received: bytes = b"") -> dict:
    """One length-prefixed JSON message (both ends of the protocol), `received`: its bytes already read."""
    data = received
    while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack(data[: HEADER.size])[0]:
        chunk = conn.recv(1 << 16)
        if not chunk:
            raise ValueError("the connection closed in the middle of a message")
        data += chunk
    return json.loads(data[HEADER.size :])


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, MAX_FDS)
    return read_frame(conn, data), fds


def _become_step(request: dict, fds: list[int], keep_closed: list[int]) -> None:
    """In the forked child: turn into the step process, run it, exit. Never returns."""
    code = 1
    try:
        for fd in keep_closed:
            os.close(fd)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in (null, *fds):
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]  # what `python -m` puts first
        _reseed()
        code = _run_main(request["argv"])
    except BaseException:  # the set-up itself failed: say why on the step's stderr
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _run_main(argv: list[str]) -> int:
    """`python -m <module> args...` (argv: module, args) here: the exit code a fresh interpreter would return."""
    import atexit
    import runpy
    import threading

    module = argv[0]
    sys.modules.pop(module, None)  # run as __main__ (runpy warns about a module found already imported)
    sys.argv = [module, *argv[1:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()  # non-daemon threads are joined before exit, as at interpreter shutdown
    atexit._run_exitfuncs()
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _reseed() -> None:
    """A fresh process draws new seeds; a forked one would share the server's."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def serve(path: str, preload: list[str]) -> None:
    sys.path[0] = os.getcwd()  # run by path, but import like `python -m` from the working directory
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    listener.setblocking(False)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    print("ready", flush=True)

    def step(timeout: float | None) -> bool:
        for key, _ in selector.select(timeout):
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    return False
            elif key.data == "child":
                while True:
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        break
                _reap(children)
            else:
                _accept(listener, children, [listener.fileno(), wake_r, wake_w, selector.fileno()])
        return True

    try:
        for name in preload:
            if not step(0):
                return
            started = time.monotonic()
            try:
                importlib.import_module(name)
            except Exception as err:  # not installed, or broken here: the steps import it themselves
                print(f"not preloaded: {name}: {type(err).__name__}: {err}", flush=True)
            else:
                print(f"preloaded {name} in {time.monotonic() - started:.2f}s", flush=True)
        print("preloaded", flush=True)
        while step(None):
            pass
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _accept(listener: socket.socket, children: dict[int, socket.socket], inherited: list[int]) -> None:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return
    conn.setblocking(True)
    try:
        request, fds = _receive(conn)
    except (OSError, ValueError) as err:
        _send(conn, {"error": f"bad request: {err}"})
        conn.close()
        return
    if len(fds) != MAX_FDS:
        _send(conn, {"error": f"expected {MAX_FDS} file descriptors, got {len(fds)}"})
        for fd in fds:
            os.close(fd)
        conn.close()
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        open_conns = [c.fileno() for c in children.values()]
        _become_step(request, fds, [*inherited, conn.fileno(), *open_conns])
    for fd in fds:
        os.close(fd)
    children[pid] = conn
    _send(conn, {"pid": pid})


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _send(conn, {"exit": code})
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1], [name for name in sys.argv[2].split(",") if name] if len(sys.argv) > 2 else [])
