"""A real TCP listener that counts every connection and answers one canned HTTP response.

It stands in for whatever a lead might aim an endpoint at (an internal service, a metadata
server, a redirecting host): tests assert on ``connections`` that nothing reached it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class Listener:
    """Listen on ``host`` (``port`` 0: any free one); reply ``status`` with ``body``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        status: str = "200 OK",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.status, self.body, self.headers = status, body, dict(headers or {})
        self.connections = 0
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        """Return the port the listener is bound to."""
        return int(self._sock.getsockname()[1])

    @property
    def base_url(self) -> str:
        """Return an OpenAI-style base URL on this listener."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2.0)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            with self._lock:
                self.requests.append(data)
            head = [f"HTTP/1.1 {self.status}", f"Content-Length: {len(self.body)}"]
            head += [f"{name}: {value}" for name, value in self.headers.items()]
            head.append("Connection: close")
            with contextlib.suppress(OSError):
                conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body)

    def start(self) -> Listener:
        """Start accepting connections in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the socket."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port(host: str = "127.0.0.1") -> int:
    """Return a port on ``host`` that nothing listens on (bound, then released)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
