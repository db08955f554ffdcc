"""A tiny HTTP server on 127.0.0.1 that serves byte payloads, well or badly, for download tests.

>>> with LoopbackServer() as server:
...     url = server.serve("/model.tgz", payload)               # a normal 200 response
...     bad = server.serve("/cut.tgz", payload, mode=TRUNCATED)  # full Content-Length, half the bytes
...     maybe_download(url, ...)
...     server.request_count("/model.tgz")

Modes: ``normal``; ``truncated`` (announces the full length, sends half, closes);
``stall`` (sends the headers, then nothing for ``stall_seconds`` or until the
server stops); ``404``. Unknown paths get 404 too. Nothing is logged, and the
server only ever binds the loopback address.
"""
from __future__ import annotations

import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NORMAL = "normal"
TRUNCATED = "truncated"
STALL = "stall"
NOT_FOUND = "404"
MODES = (NORMAL, TRUNCATED, STALL, NOT_FOUND)

HOST = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format, *args) -> None:  # noqa: A002 - signature of the base class
        # Silence: the base class writes every request to stderr.
        pass

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        owner = self.server.owner
        owner._record(self.path)
        route = owner._routes.get(self.path)
        if route is None or route[1] == NOT_FOUND:
            self.send_error(404, "Not Found")
            return
        body, mode = route
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mode == NORMAL:
                self.wfile.write(body)
            elif mode == TRUNCATED:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                # Closing now leaves the client short of the announced length.
                self.close_connection = True
            elif mode == STALL:
                self.wfile.flush()
                # Bounded, and cut short when the server stops, so shutdown never hangs.
                owner._stopping.wait(owner.stall_seconds)
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. after its timeout); that is the point of some tests.
            pass


class _Server(ThreadingHTTPServer):
    # Join handler threads on close, so nothing outlives the context manager.
    daemon_threads = False
    block_on_close = True

    def __init__(self, owner: "LoopbackServer"):
        self.owner = owner
        super().__init__((HOST, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn); skip that lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        # The default prints a traceback to stderr; keep it for the test to inspect instead.
        self.owner.errors.append(sys.exc_info()[1])


class LoopbackServer:
    """Serve byte payloads at paths on ``http://127.0.0.1:<free port>``. Use as a context manager."""

    def __init__(self, stall_seconds: float = 10.0):
        self.stall_seconds = stall_seconds
        self.errors: list[BaseException] = []
        self._routes: dict[str, tuple[bytes, str]] = {}
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ content
    def serve(self, path: str, body: bytes = b"", mode: str = NORMAL) -> str:
        """Serve ``body`` at ``path`` in ``mode``; return its URL (the server must be running)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
        if not path.startswith("/"):
            path = "/" + path
        self._routes[path] = (bytes(body), mode)
        return self.url(path)

    def url(self, path: str) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running; use it in a with block")
        return f"http://{HOST}:{self.port}{path if path.startswith('/') else '/' + path}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    # ------------------------------------------------------------------ requests
    def _record(self, path: str) -> None:
        with self._lock:
            self._requests.append(path)

    @property
    def requests(self) -> list[str]:
        """Paths requested so far, in order."""
        with self._lock:
            return list(self._requests)

    def request_count(self, path: str | None = None) -> int:
        requests = self.requests
        return len(requests) if path is None else requests.count(path)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> "LoopbackServer":
        self._stopping.clear()
        self._server = _Server(self)
        assert self._server.server_address[0] == HOST
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="loopback-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wake stalled handlers first
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released), for 'server unreachable'."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]
