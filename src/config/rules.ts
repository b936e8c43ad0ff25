/**
 * Config rules beyond the schema's types: channel names, duplicates, actions
 * that compile. They read the raw document, so they report even when the schema fails elsewhere.
 */
import * as Either from "effect/Either"
import { compileTemplate, soleWordOf } from "../action/index.js"
import { fail2banSocketIssues } from "./fail2banSocket.js"
import { isReservedChannel, validateChannelName } from "../protocol/index.js"
import { parseRange, parseValueType } from "../trust/index.js"
import { consumerIssues, transportIssues } from "./nats.js"
import { formatPath, type IssuePath, type PathIssue } from "./path.js"
import { quorumIssues } from "./quorum.js"

type Mapping = Readonly<Record<string, unknown>>

const isRecord = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const field = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined

const quoted = (text: string): string => JSON.stringify(text)

const elements = (value: unknown): ReadonlyArray<unknown> => (Array.isArray(value) ? value : [])

/** Every rule issue of a document; a rule skips a value of the wrong type (the schema reports it). */
export const ruleIssues = (document: unknown): ReadonlyArray<PathIssue> => {
  const servers = field(document, "servers")
  const issues: Array<PathIssue> = []
  const hub = isRecord(document) && Object.hasOwn(document, "broker")
  if (servers === undefined && isRecord(document) && !hub) issues.push({ path: ["servers"], message: "is missing" })
  if (Array.isArray(servers) && servers.length === 0 && !hub) {
    issues.push({
      path: ["servers"],
      message: "must list at least one server (an empty list is allowed only with a broker: section)"
    })
  }
  elements(servers).forEach((server, i) => issues.push(...serverIssues(server, ["servers", i])))
  issues.push(...consumerIssues(elements(servers), field(document, "node_name")))
  issues.push(...typesIssues(field(document, "types"), ["types"]))
  issues.push(...ignoreIssues(field(document, "ignoreip")))
  issues.push(...listenIssues(field(field(document, "metrics"), "listen")))
  const orderKey = field(document, "order_key")
  if (typeof orderKey === "string" && orderKey.startsWith("_"))
    issues.push({ path: ["order_key"], message: `${quoted(orderKey)} is reserved: the order key is a message key such as ip` })
  return issues
}

/** The schema checks the shape of `metrics.listen`; the port's range is checked here. */
const listenIssues = (listen: unknown): ReadonlyArray<PathIssue> => {
  if (typeof listen !== "string") return []
  const port = /:([0-9]{1,5})$/.exec(listen)?.[1]
  return port !== undefined && Number(port) > 65_535
    ? [{ path: ["metrics", "listen"], message: `port ${port} is not from 0 to 65535` }]
    : []
}

/** Each `types:` entry names a known type or a valid /regex/. */
const typesIssues = (types: unknown, path: IssuePath): ReadonlyArray<PathIssue> =>
  isRecord(types)
    ? Object.entries(types).flatMap(([key, spec]) =>
      key.startsWith("_")
        ? [{ path: [...path, key], message: `${quoted(key)} is reserved (the envelope and computed keys have fixed formats): types apply to message keys` }]
        : typeof spec === "string"
        ? Either.match(parseValueType(spec), { onLeft: (message) => [{ path: [...path, key], message }], onRight: () => [] })
        : []
    )
    : []

/** fail2ban writes ignoreip as one whitespace-separated string; f2bc also takes a list. */
export const ignoreEntries = (ignoreip: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  typeof ignoreip === "string" ? ignoreip.split(/\s+/).filter((entry) => entry !== "") : ignoreip

const ignoreIssues = (ignoreip: unknown): ReadonlyArray<PathIssue> => {
  if (typeof ignoreip === "string") {
    return ignoreEntries(ignoreip).flatMap((entry) =>
      Either.match(parseRange(entry), {
        onLeft: (message) => [{ path: ["ignoreip"], message: `${message} (entries are addresses or CIDR ranges; host names are not resolved)` }],
        onRight: () => []
      })
    )
  }
  return elements(ignoreip).flatMap((entry, i) =>
    typeof entry === "string"
      ? Either.match(parseRange(entry), {
        onLeft: (message) => [{ path: ["ignoreip", i], message: `${message} (entries are addresses or CIDR ranges; host names are not resolved)` }],
        onRight: () => []
      })
      : []
  )
}

const serverIssues = (server: unknown, path: IssuePath): ReadonlyArray<PathIssue> => {
  const issues: Array<PathIssue> = [...filterIssues(field(server, "filter"), [...path, "filter"]), ...transportIssues(server, path)]
  const firstByName = new Map<string, IssuePath>()
  elements(field(server, "channels")).forEach((channel, j) => {
    const channelPath = [...path, "channels", j]
    const name = field(channel, "name")
    if (typeof name === "string") {
      const namePath = [...channelPath, "name"]
      const problem = channelNameProblem(name)
      if (problem !== undefined) issues.push({ path: namePath, message: problem })
      const first = firstByName.get(name)
      if (first === undefined) firstByName.set(name, channelPath)
      else issues.push({ path: namePath, message: `duplicate channel ${quoted(name)} (first at ${formatPath(first)})` })
    }
    issues.push(...actionIssues(channel, channelPath))
    issues.push(...batchIssues(channel, channelPath))
    issues.push(...fail2banSocketIssues(channel, channelPath))
    issues.push(...quorumIssues(channel, channelPath))
    issues.push(...typesIssues(field(channel, "types"), [...channelPath, "types"]))
    issues.push(...filterIssues(field(channel, "filter"), [...channelPath, "filter"]))
  })
  return issues
}

const RESERVED_WHY = `(every client receives "all"; "debug" carries server notices)`

const channelNameProblem = (name: string): string | undefined =>
  isReservedChannel(name)
    ? `${quoted(name)} is reserved by the fanout protocol ${RESERVED_WHY}`
    : Either.match(validateChannelName(name), { onLeft: (error) => error.message, onRight: () => undefined })

const actionIssues = (channel: unknown, channelPath: IssuePath): ReadonlyArray<PathIssue> => {
  const shell = field(channel, "shell") ?? false
  if (typeof shell !== "boolean") return []
  return (["action", "expire_action"] as const).flatMap((key) => {
    const action = field(channel, key)
    if (typeof action !== "string") return []
    return Either.match(compileTemplate(action, { shell }), {
      onLeft: (error) => [{ path: [...channelPath, key], message: error.detail }],
      onRight: () => []
    })
  })
}

/** `batch:` repeats one argv word: refused with a shell, and its key must fill a word of the action alone. */
const batchIssues = (channel: unknown, channelPath: IssuePath): ReadonlyArray<PathIssue> => {
  const batch = field(channel, "batch")
  const key = field(batch, "key")
  const action = field(channel, "action")
  if (!isRecord(batch)) return []
  if (field(channel, "shell") === true) {
    return [{ path: [...channelPath, "batch"], message: "cannot be used with shell: true (a batch repeats one argv word; a script has no words to repeat)" }]
  }
  if (typeof key !== "string") return []
  if (key.startsWith("_")) return [{ path: [...channelPath, "batch", "key"], message: `${quoted(key)} is reserved: batch on a message key such as ip` }]
  if (typeof action !== "string") return []
  return Either.match(compileTemplate(action, { shell: false }), {
    // actionIssues reports an action that does not compile.
    onLeft: () => [],
    onRight: (template) =>
      Either.match(soleWordOf(template, key), { onLeft: (message) => [{ path: [...channelPath, "batch", "key"], message }], onRight: () => [] })
  })
}

// Two entries for one key would AND them: almost always meant as one entry with both values.
const duplicateKey = (key: string, first: IssuePath): string =>
  `duplicate filter key ${quoted(key)} (first at ${formatPath(first)}; list all accepted values in one entry)`

const filterIssues = (filter: unknown, path: IssuePath): ReadonlyArray<PathIssue> => {
  const issues: Array<PathIssue> = []
  const firstByKey = new Map<string, IssuePath>()
  elements(filter).forEach((entry, k) => {
    const key = field(entry, "key")
    if (typeof key !== "string") return
    const first = firstByKey.get(key)
    if (first === undefined) firstByKey.set(key, [...path, k])
    else issues.push({ path: [...path, k, "key"], message: duplicateKey(key, first) })
  })
  return issues
}
