#!/usr/bin/env python3
"""The original fail2ban-cluster-client.py's wire behaviour, for interop tests:
connect, send one `announce <channel> <message>` line, close at once without
reading anything (no greeting read, no ping, so no confirmation).

Usage: original-client.py PORT CHANNEL MESSAGE [--crlf]
"""
import socket
import sys


def main(argv):
    if len(argv) not in (4, 5) or (len(argv) == 5 and argv[4] != "--crlf"):
        sys.stderr.write("usage: original-client.py PORT CHANNEL MESSAGE [--crlf]\n")
        return 2
    eol = b"\r\n" if len(argv) == 5 else b"\n"
    sock = socket.create_connection(("127.0.0.1", int(argv[1])))
    sock.sendall(b"announce " + argv[2].encode() + b" " + argv[3].encode() + eol)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
