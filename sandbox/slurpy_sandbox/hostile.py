"""Hostile targets: raw-socket servers on 127.0.0.1 that misbehave below HTTP, where a well-behaved
ASGI app cannot (never accept, never answer, drip, never end, answer something that is not HTTP,
reset or cut the connection part-way, stall a TLS handshake). The monitor's own tests and benchmarks point a
profile's services at them to prove that a run stays short, small and truthful whatever comes back.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable

HOST = "127.0.0.1"
ENDLESS_CHUNK = b"x" * 65536


class _Connection:
    def __init__(self, sock: socket.socket, stop: threading.Event, drip_interval_s: float):
        self.sock, self.stop, self.drip_interval_s = sock, stop, drip_interval_s

    def read_request(self) -> None:
        """Take the request head (what a client sends first), or whatever arrives instead: a TLS
        ClientHello, say."""
        self.sock.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.sock.recv(4096)
                if not chunk or not data and chunk[:1] == b"\x16":  # closed, or a TLS handshake record
                    return
                data += chunk
        except OSError:
            return

    def wait_for_close(self) -> None:
        """Hold the connection open until the client gives up (or the server stops)."""
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                if not self.sock.recv(4096):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def drip(self, data_per_tick: Callable[[int], bytes]) -> None:
        tick = 0
        while not self.stop.wait(self.drip_interval_s):
            try:
                self.sock.sendall(data_per_tick(tick))
            except OSError:
                return
            tick += 1


def hang(c: _Connection) -> None:
    """Accepts and never answers: a wedged worker behind a load balancer; for a TLS client, a
    handshake that stalls."""
    c.read_request()
    c.wait_for_close()


def drip(c: _Connection) -> None:
    """Answers its headers at once, then one body byte per interval: a per-read timeout never fires."""
    c.read_request()
    c.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
    c.drip(lambda _: b" ")


def header_drip(c: _Connection) -> None:
    """Sends its status line, then a header one byte per interval, never finishing it."""
    c.read_request()
    c.sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    c.drip(lambda _: b"y")


def endless(c: _Connection) -> None:
    """A JSON body that never ends, as fast as the client reads it (chunked, no length)."""
    c.read_request()
    try:
        c.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        opening = b'{"status": "ok", "padding": "'
        c.sock.sendall(b"%x\r\n%s\r\n" % (len(opening), opening))
        chunk = b"%x\r\n%s\r\n" % (len(ENDLESS_CHUNK), ENDLESS_CHUNK)
        while not c.stop.is_set():
            c.sock.sendall(chunk)
    except OSError:
        return


def not_http(c: _Connection) -> None:
    """Another protocol on the port, as when a service is pointed at the wrong one: an SSH banner,
    and then it waits for the client to speak SSH."""
    c.sock.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    c.read_request()
    c.wait_for_close()


def reset_mid_body(c: _Connection) -> None:
    """Promises a long body, sends part of it, then resets the connection (RST, not FIN)."""
    c.read_request()
    c.sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        + b'{"status": "ok", "pad": "'
        + b"x" * 1000
    )
    c.stop.wait(0.5)  # let the client read what came, so the reset lands mid-body
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def short_body(c: _Connection) -> None:
    """Content-Length says 100, 40 bytes come, then the connection closes cleanly: a truncated answer."""
    c.read_request()
    c.sock.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        + b'{"status": "ok", "padding": "xxxxxxxxx'
    )


def silent_close(c: _Connection) -> None:
    """Reads the request and closes without a byte (curl: "empty reply from server")."""
    c.read_request()


BEHAVIOURS: dict[str, Callable[[_Connection], None]] = {
    "hang": hang,
    "drip": drip,
    "header-drip": header_drip,
    "endless": endless,
    "not-http": not_http,
    "reset-mid-body": reset_mid_body,
    "short-body": short_body,
    "silent-close": silent_close,
}


class HostileServer:
    """One behaviour on its own port; a thread per connection; counts the connections it took."""

    def __init__(self, behaviour: str, drip_interval_s: float):
        self.behaviour = BEHAVIOURS[behaviour]
        self.drip_interval_s = drip_interval_s
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            self.behaviour(_Connection(sock, self._stop, self.drip_interval_s))

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()


class ConnectStall:
    """A port whose accept queue is full and never drained: the kernel drops the SYN, so a client
    stays in connect (a host behind a firewall that drops, or an overloaded listener)."""

    connections = 0

    def __init__(self) -> None:
        self._listener = socket.create_server((HOST, 0), backlog=0)
        self.port = self._listener.getsockname()[1]
        self._fillers = []
        for _ in range(3):  # more than the queue holds, whatever the kernel rounds a backlog of 0 to
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex((HOST, self.port))
            self._fillers.append(filler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def close(self) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()


class HostileServers:
    """Every behaviour at once: ``servers["drip"].url``."""

    def __init__(self, drip_interval_s: float = 1.0):
        self.servers: dict[str, HostileServer | ConnectStall] = {
            name: HostileServer(name, drip_interval_s) for name in BEHAVIOURS
        }
        self.servers["connect-stall"] = ConnectStall()

    def __getitem__(self, name: str) -> HostileServer | ConnectStall:
        return self.servers[name]

    def close(self) -> None:
        for server in self.servers.values():
            server.close()

    def __enter__(self) -> HostileServers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
