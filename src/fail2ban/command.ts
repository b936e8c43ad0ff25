/**
 * Which actions `fail2ban_socket` takes over: those whose program is fail2ban-client.
 * Their argv after the program is the command sent over fail2ban's socket instead of a process.
 */
import * as nodePath from "node:path"

/** The program fail2ban_socket stands in for, by its file name (`/usr/bin/fail2ban-client` too). */
export const FAIL2BAN_CLIENT = "fail2ban-client"

export const isFail2banClient = (program: string | undefined): boolean =>
  program !== undefined && nodePath.posix.basename(program) === FAIL2BAN_CLIENT

/**
 * The socket an action's rendered argv goes to: the channel's `fail2ban_socket`
 * when its program is fail2ban-client, else none (it runs as a process).
 */
export const socketFor = (fail2banSocket: string | undefined, argv: ReadonlyArray<string>): string | undefined =>
  fail2banSocket !== undefined && isFail2banClient(argv[0]) ? fail2banSocket : undefined

/** `{ fail2banSocket }` when the action goes over fail2ban's socket, else nothing (to spread into an action). */
export const withSocket = (fail2banSocket: string | undefined, argv: ReadonlyArray<string>): { readonly fail2banSocket?: string } => {
  const socket = socketFor(fail2banSocket, argv)
  return socket === undefined ? {} : { fail2banSocket: socket }
}
