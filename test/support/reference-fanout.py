#!/usr/bin/env python3
"""Reference fanout server for interop tests: reproduces the observable
behaviour of the C server (github.com/travisghansen/fanout, fanout.c).

Written from a behavioural description, stdlib only. Single-threaded around
one selector, like the C server's select/epoll loop, so the requests of one
client are handled strictly in order.

Usage: reference-fanout.py PORT   (PORT 0 picks a free port)
Binds 127.0.0.1 only and prints `listening <port>` on stdout once ready.

Behaviour kept from fanout.c, including its quirks:
- on accept: `debug!connected...\\n`, then an implicit subscription to `all`;
- input is buffered per client and cut at each `\\n`; a `\\r` is NOT stripped,
  so `ping\\r` is not a ping and `subscribe x\\r` subscribes to `x\\r`;
- a NUL byte ends what the server sees of a received chunk (C strings);
- `ping` -> `<unix seconds>\\n`; `info` -> a block of `name: value` lines;
- otherwise strtok(line, " ") twice gives action and channel (runs of spaces
  collapse); a line without both is garbage and ignored;
- `announce`: the message starts at offset len(action) + len(channel) + 2 of
  the line *after* strtok wrote its NULs, and runs to the next NUL or the end;
  it is delivered as `<channel>!<message>\\n` only when the channel exists
  (someone is subscribed) and the message is non-empty;
- `subscribe`/`unsubscribe` ignore a channel containing `!`; no duplicates;
- a partial line pending at disconnect is discarded.
"""

import resource
import selectors
import socket
import sys
import time

GREETING = b"debug!connected...\n"
RECV_SIZE = 1024
LISTEN_BACKLOG = 25


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.input = b""


class Server:
    def __init__(self, port):
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(LISTEN_BACKLOG)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.clients = []
        # (client, channel) pairs, newest first like the C server's list.
        self.subscriptions = []
        self.started = int(time.time())
        self.stats = {
            "max_clients": 0,
            "connections": 0,
            "announcements": 0,
            "messages": 0,
            "subscribes": 0,
            "unsubscribes": 0,
            "pings": 0,
        }

    @property
    def port(self):
        return self.listener.getsockname()[1]

    # --- output -----------------------------------------------------------

    def write(self, client, data):
        # The C server uses blocking sends; an error leaves the client to be
        # cleaned up when its next read fails.
        try:
            client.sock.sendall(data)
        except OSError:
            pass

    # --- subscriptions ----------------------------------------------------

    def channel_exists(self, channel):
        return any(ch == channel for _, ch in self.subscriptions)

    def subscribe(self, client, channel):
        if (client, channel) in self.subscriptions:
            return
        self.subscriptions.insert(0, (client, channel))
        self.stats["subscribes"] += 1

    def unsubscribe(self, client, channel):
        if (client, channel) in self.subscriptions:
            self.subscriptions.remove((client, channel))
            self.stats["unsubscribes"] += 1

    def announce(self, channel, message):
        self.stats["announcements"] += 1
        delivery = channel + b"!" + message + b"\n"
        for subscriber, ch in list(self.subscriptions):
            if ch == channel:
                self.stats["messages"] += 1
                self.write(subscriber, delivery)

    # --- connections ------------------------------------------------------

    def accept(self):
        sock, _ = self.listener.accept()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        client = Client(sock)
        self.clients.insert(0, client)
        self.stats["connections"] += 1
        self.stats["max_clients"] = max(self.stats["max_clients"], len(self.clients))
        self.selector.register(sock, selectors.EVENT_READ, client)
        self.write(client, GREETING)
        self.subscribe(client, b"all")

    def disconnect(self, client):
        for sub in [s for s in self.subscriptions if s[0] is client]:
            self.unsubscribe(client, sub[1])
        self.clients.remove(client)
        self.selector.unregister(client.sock)
        try:
            client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.sock.close()

    def receive(self, client):
        try:
            chunk = client.sock.recv(RECV_SIZE)
        except OSError:
            chunk = b""
        if not chunk:
            self.disconnect(client)
            return
        # The C server appends the chunk as a C string.
        client.input += chunk.split(b"\0", 1)[0]
        while b"\n" in client.input:
            line, client.input = client.input.split(b"\n", 1)
            self.handle_line(client, line)

    # --- requests ---------------------------------------------------------

    def handle_line(self, client, line):
        if line == b"ping":
            self.stats["pings"] += 1
            self.write(client, b"%d\n" % int(time.time()))
            return
        if line == b"info":
            self.write(client, self.info())
            return
        buf = bytearray(line)
        action, pos = strtok(buf, 0)
        channel, pos = strtok(buf, pos) if action is not None else (None, pos)
        if action is None or channel is None:
            return  # garbage
        if action == b"announce":
            message = c_string(buf, len(action) + len(channel) + 2)
            if self.channel_exists(channel) and len(message) > 0:
                self.announce(channel, message)
        elif action == b"subscribe":
            if b"!" not in channel:
                self.subscribe(client, channel)
        elif action == b"unsubscribe":
            if b"!" not in channel:
                self.unsubscribe(client, channel)
        # anything else: invalid action, ignored

    def info(self):
        uptime = int(time.time()) - self.started
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        clients = len(self.clients)
        subs = len(self.subscriptions)
        channels = len({ch for _, ch in self.subscriptions})
        lines = [
            "uptime: %dd %dh %dm %ds" % (uptime // 86400, uptime // 3600 % 24, uptime // 60 % 60, uptime % 60),
            "client-limit: %d" % max(soft - 16, 1),
            "limit rejected connections: 0",
            "rlimits: Soft=%d Hard=%d" % (soft, hard),
            "max connections: %d" % self.stats["max_clients"],
            "current connections: %d" % clients,
            "current channels: %d" % channels,
            "current subscriptions: %d" % subs,
            "user-requested subscriptions: %d" % (subs - clients),
            "total connections: %d" % self.stats["connections"],
            "total announcements: %d" % self.stats["announcements"],
            "total messages: %d" % self.stats["messages"],
            "total subscribes: %d" % self.stats["subscribes"],
            "total unsubscribes: %d" % self.stats["unsubscribes"],
            "total pings: %d" % self.stats["pings"],
        ]
        return ("\n".join(lines) + "\n").encode()

    def serve_forever(self):
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    self.accept()
                elif key.data in self.clients:
                    self.receive(key.data)


def strtok(buf, pos):
    """C strtok with delimiter " ": returns (token, next position) or (None, pos).
    Like strtok, it overwrites the delimiter that ends a token with NUL."""
    end = len(buf)
    while pos < end and buf[pos] == 0x20:
        pos += 1
    if pos >= end:
        return None, pos
    start = pos
    while pos < end and buf[pos] != 0x20:
        pos += 1
    token = bytes(buf[start:pos])
    if pos < end:
        buf[pos] = 0
        pos += 1
    return token, pos


def c_string(buf, offset):
    """The C string at `offset`: up to the first NUL. An offset past the end
    (undefined behaviour in C) reads as empty."""
    if offset >= len(buf):
        return b""
    return bytes(buf[offset:]).split(b"\0", 1)[0]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: reference-fanout.py PORT\n")
        return 2
    server = Server(int(argv[1]))
    sys.stdout.write("listening %d\n" % server.port)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
