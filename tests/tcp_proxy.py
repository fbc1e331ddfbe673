"""A loopback TCP proxy that a test can cut: point a process at it instead of at RabbitMQ (or
any server), then `cut()` it to see how that process copes when the server goes away, without
stopping the server that other tests and other people use.

    with TcpProxy(("127.0.0.1", 5672)) as proxy:
        uri = f"pyamqp://guest:guest@127.0.0.1:{proxy.port}/vhost"
        ...
        proxy.cut()   # every connection is closed; new ones are refused

Under eventlet's monkey-patching its threads are green threads and its sockets green sockets,
so it forwards while a test waits on anything green.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.target = target
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._open = True
        self.accepted = 0
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.cut()

    def _accept(self) -> None:
        while self._open:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if not self._open:
                    client.close()
                    upstream.close()
                    return
                self._connections |= {client, upstream}
                self.accepted += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):  # eventlet raises EOFError for a socket closed by cut()
            pass
        finally:
            self._close(source)
            self._close(sink)

    def _close(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
        with self._lock:
            self._connections.discard(sock)

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        with self._lock:
            self._open = False
            connections = list(self._connections)
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in connections:
            self._close(sock)
