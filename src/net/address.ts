/**
 * How f2bc writes a network address in logs, errors and status: `host:port`,
 * with an IPv6 host in brackets (`[::1]:1986`) so the port stays readable.
 */

/** `host:port`, or `[host]:port` when the host is an IPv6 address. */
export const formatHostPort = (host: string, port: number): string =>
  host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`
