/**
 * The rules of a channel's `fail2ban_socket`: it stands in for fail2ban-client's process, so the channel
 * needs an action run by fail2ban-client, no shell, and no fail2ban-client option before the command.
 */
import * as Either from "effect/Either"
import { compileTemplate, type Word } from "../action/index.js"
import { isFail2banClient } from "../fail2ban/index.js"
import type { IssuePath, PathIssue } from "./path.js"

type Mapping = Readonly<Record<string, unknown>>

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Mapping)[key] : undefined

/** The literal text a word starts with ("" when it starts with a placeholder). */
const literalStart = (word: Word | undefined): string => (word?.[0]?._tag === "Literal" ? word[0].text : "")

/** The words of an action without a shell, or undefined when it does not compile (actionIssues reports that). */
const wordsOf = (action: unknown): ReadonlyArray<Word> | undefined => {
  if (typeof action !== "string") return undefined
  const compiled = compileTemplate(action, { shell: false })
  return Either.isRight(compiled) && compiled.right.body._tag === "Argv" ? compiled.right.body.words : undefined
}

/** What is wrong with one fail2ban-client action sent over the socket: no command, or an option before it. */
const commandIssue = (words: ReadonlyArray<Word>): string | undefined => {
  const next = words[1]
  if (next === undefined) return "is fail2ban-client with no command: with fail2ban_socket, the words after fail2ban-client are the command sent to fail2ban"
  const option = literalStart(next)
  if (!option.startsWith("-")) return undefined
  return `has the fail2ban-client option ${JSON.stringify(option)}: with fail2ban_socket, the words after fail2ban-client are sent to fail2ban as its command, ` +
    `so they must start with the command (fail2ban_socket names the socket in place of -s; other options do not apply)`
}

export const fail2banSocketIssues = (channel: unknown, channelPath: IssuePath): ReadonlyArray<PathIssue> => {
  if (typeof field(channel, "fail2ban_socket") !== "string") return []
  const path = [...channelPath, "fail2ban_socket"]
  if (field(channel, "shell") === true) {
    return [{ path, message: "cannot be used with shell: true (it sends fail2ban-client's words over fail2ban's socket; a script has no words to send)" }]
  }
  const issues: Array<PathIssue> = []
  let clientActions = 0
  let compiled = 0
  for (const key of ["action", "expire_action"]) {
    const words = wordsOf(field(channel, key))
    if (words === undefined) continue
    compiled++
    if (!isFail2banClient(literalStart(words[0]))) continue
    clientActions++
    const issue = commandIssue(words)
    if (issue !== undefined) issues.push({ path: [...channelPath, key], message: issue })
  }
  if (compiled > 0 && clientActions === 0) {
    issues.push({ path, message: "applies to actions run by fail2ban-client, and no action of this channel is (the action must start with fail2ban-client)" })
  }
  return issues
}
