# f2bc-daemon.py: a fail2ban action that hands this host's bans and unbans to the
# local f2bc daemon over its control socket, so no process starts per ban.
#
# Install as /etc/fail2ban/action.d/f2bc-daemon.py and add it next to the
# jail's firewall action (see jail.d/f2bc-cluster.local and docs/fail2ban.md):
#
#   [sshd]
#   action = %(action_)s
#            f2bc-daemon.py[socket=/run/f2bc/f2bc.sock, channel=Fail2ban]
#
# Each ban and unban is one line on the daemon's control socket,
#   publish <channel> jail=<jail>, action=banip, ip=<ip>
# answered by one JSON line once the daemon has recorded it in its outbox
# (it never waits for a server): {"ok":true,"id":"..."} or {"ok":false,"error":"..."}.
# The daemon stamps, signs and delivers it, and keeps it across its restarts.
#
# Dependency-free Python 3 (3.5 and later), for fail2ban 0.10 and later.

import errno
import json
import os
import socket
import time

from fail2ban.server.action import ActionBase

# Characters a channel name cannot hold on the wire, as f2bc names them.
CHANNEL_FORBIDDEN = (
	("!", '"!"'),
	(" ", "a space"),
	("\t", "a tab"),
	("\r", "a carriage return (CR)"),
	("\n", "a line feed (LF)"),
	("\0", "a NUL byte"),
)
# The pub/sub server's own channels: every client gets `all`, `debug` carries its notices.
RESERVED_CHANNELS = ("all", "debug")
# Longest path a Unix socket address holds (sun_path, less its NUL).
MAX_SOCKET_PATH = 107
# fail2ban's bans wait for this action in the jail's actions thread.
MAX_TIMEOUT = 60.0
# An answer is one short JSON line; anything longer is not the daemon.
MAX_ANSWER = 64 * 1024
# What to check when the socket cannot be reached, by the connect error.
CONNECT_HINTS = {
	errno.ENOENT: "is f2bc daemon running?",
	errno.ECONNREFUSED: "is f2bc daemon running?",
	errno.EACCES: "the socket is owner-only: fail2ban must run as the daemon's user",
}


def check_socket(path):
	"""The control socket's path: absolute, and short enough for a Unix socket."""
	if not os.path.isabs(path):
		raise ValueError("f2bc-daemon: socket=%r is not an absolute path (the daemon's control_socket, e.g. /run/f2bc/f2bc.sock)" % path)
	if len(os.fsencode(path)) > MAX_SOCKET_PATH:
		raise ValueError("f2bc-daemon: socket=%r is longer than a Unix socket path can be (%d bytes)" % (path, MAX_SOCKET_PATH))
	return path


def check_channel(name):
	"""A channel the wire accepts: non-empty, none of CHANNEL_FORBIDDEN, not reserved."""
	if name == "":
		raise ValueError("f2bc-daemon: channel is empty")
	for char, description in CHANNEL_FORBIDDEN:
		if char in name:
			raise ValueError("f2bc-daemon: channel=%r cannot travel on the wire: it contains %s" % (name, description))
	if name in RESERVED_CHANNELS:
		raise ValueError("f2bc-daemon: channel=%r is reserved by the pub/sub server (all, debug)" % name)
	return name


def check_timeout(text):
	"""Seconds to wait for the daemon's answer: a number above 0, at most MAX_TIMEOUT."""
	try:
		seconds = float(text)
	except (TypeError, ValueError):
		raise ValueError("f2bc-daemon: timeout=%r is not a number of seconds" % (text,))
	if not 0 < seconds <= MAX_TIMEOUT:
		raise ValueError("f2bc-daemon: timeout=%r is out of range: above 0 and at most %g s (the jail's bans wait for it)" % (text, MAX_TIMEOUT))
	return seconds


def check_jail(name):
	"""A jail name that fits a message value: no ",", no control character, no outer spaces."""
	if name == "" or name != name.strip() or "," in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
		raise ValueError("f2bc-daemon: jail name %r cannot be a message value (no \",\", control characters or outer spaces)" % name)
	return name


class NotAnnounced(Exception):
	"""Why the daemon did not take a ban or an unban."""


class F2bcDaemon(ActionBase):
	"""Announces the jail's bans and unbans through the local f2bc daemon."""

	# Bans fail2ban restores from its database at start were announced when
	# they were made: with this, fail2ban does not call ban() for them.
	norestored = True
	# fail2ban rebans with the actions whose ban epoch is newer than the ticket's
	# (after a firewall action repaired itself); this one has nothing to repair.
	banEpoch = 0

	def __init__(self, jail, name, **options):
		super(F2bcDaemon, self).__init__(jail, name)
		self.jail_name = check_jail(jail.name)
		self.configure(**options)

	def configure(self, socket="/run/f2bc/f2bc.sock", channel="Fail2ban", timeout="2"):
		"""Checks every parameter before it takes any, so a bad reload keeps the running ones."""
		checked = (check_socket(socket), check_channel(channel), check_timeout(timeout))
		self.socket, self.channel, self.timeout = checked

	# `fail2ban-client reload` keeps an action only when it has both of these:
	# fail2ban 1.0 drops (flushes and stops) a Python action without them.
	def clearAllParams(self):
		pass

	def reload(self, **options):
		self.configure(**options)

	# Nothing to open or close: each ban connects on its own, so a daemon
	# restarted between two bans costs nothing.
	def start(self):
		pass

	def stop(self):
		pass

	def flush(self):
		"""A flush (fail2ban stop or restart, `unban --all`, a reload that drops this
		action) announces nothing: without this fail2ban would call unban() for
		every ban and lift them on the whole fleet. True: the flush is done."""
		return True

	def ban(self, aInfo):
		self.announce("banip", aInfo, self.ban_pairs(aInfo))

	def unban(self, aInfo):
		self.announce("unbanip", aInfo, [])

	def ban_pairs(self, aInfo):
		"""Pairs a ban carries after ip=: ban_until, the unix second the ban ends here
		(the ticket's ban time plus its bantime, which bantime.increment has already
		grown), or -1 for a ban without end. A receiving channel with expire_action
		lifts the ban then."""
		bantime = int(aInfo["bantime"])
		if bantime < 0:
			return [("ban_until", "-1")]
		return [("ban_until", str(int(float(aInfo["time"])) + bantime))]

	def message(self, verb, ip, extra):
		pairs = [("jail", self.jail_name), ("action", verb), ("ip", ip)] + list(extra)
		return ", ".join("%s=%s" % pair for pair in pairs)

	def announce(self, verb, aInfo, extra):
		"""Hands one ban or unban to the daemon. A failure is logged, not raised:
		the local ban stands whatever the daemon says."""
		ip = str(aInfo["ip"])
		request = "publish %s %s" % (self.channel, self.message(verb, ip, extra))
		try:
			message_id = self.ask(request)
		except NotAnnounced as reason:
			self._logSys.error("[%s] %s: %s %s not announced: %s", self.jail_name, self._name, verb, ip, reason)
			return
		self._logSys.info("[%s] %s: %s %s handed to the f2bc daemon, id %s", self.jail_name, self._name, verb, ip, message_id)

	def ask(self, request):
		"""Sends the request line and returns the answer's id, or raises NotAnnounced."""
		line = self.exchange(request)
		try:
			answer = json.loads(line)
		except ValueError:
			answer = None
		if isinstance(answer, dict):
			if answer.get("ok") is True and isinstance(answer.get("id"), str):
				return answer["id"]
			if isinstance(answer.get("error"), str):
				known = "ok" in answer  # an f2bc daemon without the publish verb answers only {"error": ...}
				raise NotAnnounced("the f2bc daemon at %s refused it: %s%s" % (
					self.socket, answer["error"], "" if known else " (an f2bc daemon older than the publish verb? upgrade f2bc)"))
		raise NotAnnounced("unexpected answer from %s: %r" % (self.socket, line[:200]))

	def exchange(self, request):
		"""One request line out, one answer line back, all within self.timeout."""
		deadline = time.monotonic() + self.timeout
		conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		try:
			conn.settimeout(self.timeout)
			try:
				conn.connect(self.socket)
			except socket.timeout:
				raise NotAnnounced("cannot reach the f2bc daemon at %s: no connection within %g s" % (self.socket, self.timeout))
			except OSError as error:
				hint = CONNECT_HINTS.get(error.errno)
				raise NotAnnounced("cannot reach the f2bc daemon at %s: %s%s" % (
					self.socket, error.strerror or error, " (%s)" % hint if hint else ""))
			received = b""
			try:
				conn.sendall(request.encode("utf-8") + b"\n")
				while b"\n" not in received and len(received) <= MAX_ANSWER:
					conn.settimeout(max(deadline - time.monotonic(), 0.001))
					chunk = conn.recv(4096)
					if not chunk:
						break
					received += chunk
			except socket.timeout:
				raise NotAnnounced("no answer from the f2bc daemon at %s within %g s" % (self.socket, self.timeout))
			except OSError as error:
				raise NotAnnounced("connection to the f2bc daemon at %s lost: %s" % (self.socket, error.strerror or error))
			if b"\n" not in received:
				what = "closed the connection without an answer" if len(received) <= MAX_ANSWER else "answered more than %d bytes" % MAX_ANSWER
				raise NotAnnounced("the f2bc daemon at %s %s" % (self.socket, what))
			return received.split(b"\n", 1)[0].decode("utf-8", "replace")
		finally:
			conn.close()


Action = F2bcDaemon
