#!/usr/bin/env python3
"""A scripted two-client fanout session for interop tests: run it against any
fanout server and compare the transcripts (what each client received, in order).

Usage: fanout-session.py PORT
Prints one JSON object {"A": [lines], "B": [lines]}; a pong (a line of digits)
is recorded as "<pong>" so transcripts do not depend on the server's clock.
Each step ends with a ping from the clients involved and waits for its pong:
the server answers in order, so everything sent before was processed.
"""
import json
import socket
import sys

TIMEOUT_S = 5


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
        self.buffer = b""
        self.transcript = []
        self.pings_sent = 0
        self.pongs_seen = 0

    def send(self, data):
        self.pings_sent += data.count(b"ping\n")
        self.sock.sendall(data)

    def sync(self):
        """Sends ping, then reads until every ping sent so far was answered."""
        self.send(b"ping\n")
        while self.pongs_seen < self.pings_sent:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise RuntimeError("server closed the connection")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\n", 1)
            text = line.decode("utf-8", "backslashreplace")
            if text.isdigit():
                self.pongs_seen += 1
                text = "<pong>"
            self.transcript.append(text)

    def close(self):
        self.sock.close()


def main(argv):
    port = int(argv[1])
    a = Client(port)
    b = Client(port)
    a.sync()
    b.sync()  # greetings and a first pong

    # subscribe (a duplicate is not a second subscription), then announce
    a.send(b"subscribe news\n")
    a.sync()
    b.send(b"subscribe news\nsubscribe news\n")
    b.sync()
    b.send(b"announce news hello world! a message with  two  spaces and ! bangs\n")
    b.sync()
    a.sync()

    # every client is subscribed to `all`
    b.send(b"announce all to everyone\n")
    b.sync()
    a.sync()

    # several requests in one chunk, answered in order
    b.send(b"subscribe x\nsubscribe y\nannounce y second\nannounce x first\nping\nannounce news third\n")
    b.sync()
    a.sync()

    # one request split over several chunks
    a.send(b"annou")
    a.send(b"nce news sp")
    a.send(b"lit line\npi")
    a.send(b"ng\n")
    a.sync()
    b.sync()

    # ignored: no subscriber, empty message, garbage, unknown action, channel with "!"
    b.send(b"announce nobody here\nannounce news \nannounce news\nbogus line\nsubscribe\n\nannounce\nsubscribe a!b\nannounce a!b x\n")
    b.sync()
    a.sync()

    # unsubscribe: later announces no longer reach this client
    a.send(b"unsubscribe news\nunsubscribe never-subscribed\n")
    a.sync()
    b.send(b"announce news after unsubscribe\n")
    b.sync()
    a.sync()

    # a partial line pending when its client disconnects is discarded
    b.send(b"subscribe gone\n")
    b.sync()
    a.send(b"announce gone partial")
    a.close()
    b.send(b"announce all still here\n")
    b.sync()
    b.close()

    print(json.dumps({"A": a.transcript, "B": b.transcript}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
