"""A loopback TCP proxy that a test can cut and restore: point a process at it instead of at
PostgreSQL or RabbitMQ (or any server), then `cut()` it to see how that process copes when the
server goes away, and `restore()` it to see it recover, without stopping the server that other
tests and other people use.

    with TcpProxy(("127.0.0.1", 5432)) as proxy:
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{proxy.port}/db"
        ...
        proxy.cut()      # every connection is closed; new ones are refused
        ...
        proxy.restore()  # new connections reach the server again, on the same port

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
        self.host = host
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._listener_closed = threading.Event()
        self.port: int = 0
        # Connections forwarded since the proxy was made (a test can check it was used).
        self.accepted = 0
        self._listen()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.cut()

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        # Shut down, not closed: the thread waiting on each socket wakes and closes it itself.
        # A socket closed under a waiting green thread leaves eventlet listening on its file
        # descriptor, and the next connection that gets the number (psycopg2's) fails.
        for sock in [listener, *connections] if listener is not None else connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self.is_cut:
            self._listener_closed.wait(timeout=5)
            self._listen()

    def _listen(self) -> None:
        # create_server sets SO_REUSEADDR: the port is free again as soon as it was closed.
        listener = socket.create_server((self.host, self.port))
        self.port = listener.getsockname()[1]
        self._listener_closed.clear()
        with self._lock:
            self._listener = listener
        threading.Thread(
            target=self._accept, args=(listener,), name="tcp-proxy", daemon=True
        ).start()

    def _accept(self, listener: socket.socket) -> None:
        try:
            while True:
                try:
                    client, _ = listener.accept()
                except (OSError, EOFError):
                    return  # shut down: cut
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                with self._lock:
                    if self._listener is not listener:  # cut meanwhile
                        client.close()
                        upstream.close()
                        return
                    self._connections |= {client, upstream}
                    self.accepted += 1
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()
        finally:
            listener.close()
            self._listener_closed.set()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            # Tell the other side, and wake the pump reading `sink`; close only what this
            # pump reads.
            for sock in (sink, source):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                source.close()
            with self._lock:
                self._connections.discard(source)
