/**
 * Which servers an outbox entry is for (by name: `host:port`, NATS URLs), and the text each attempt
 * sends: a fresh `_ts`, the same `_id`, signed with the first secret of the channel on that server.
 */
import type { ChannelConfig, Config, ServerConfig } from "../config/model.js"
import { endpointOf } from "../transport/endpoint.js"
import { serverName } from "../transport/transport.js"
import { outgoingText } from "../decide/outgoing.js"
import type { Entry } from "./record.js"

/** A server entry that has the channel, under the name the outbox knows it by. */
export interface Target {
  readonly name: string
  readonly server: ServerConfig
  readonly channel: ChannelConfig
}

/** The name the outbox keeps a server under: stable across restarts and reloads while its address stays. */
export const targetName = (server: ServerConfig, config: Config): string => serverName(endpointOf(server, config))

/** Every server that has `channelName`, once per name (the first entry of a name wins). */
export const targetsOf = (config: Config, channelName: string): ReadonlyArray<Target> => {
  const seen = new Map<string, Target>()
  for (const server of config.servers) {
    const channel = server.channels.find((c) => c.name === channelName)
    const name = targetName(server, config)
    if (channel !== undefined && !seen.has(name)) seen.set(name, { name, server, channel })
  }
  return [...seen.values()]
}

/** The server entry named `name` that has `channelName`, in `config`. */
export const targetFor = (config: Config, name: string, channelName: string): Target | undefined =>
  targetsOf(config, channelName).find((target) => target.name === name)

/** What one attempt sends: the entry with a fresh `_ts` (same `_id`), signed with `secret` (see outgoingText). */
export const wireText = (entry: Pick<Entry, "id" | "text" | "plain" | "origin" | "channel">, secret: Uint8Array | undefined, nowMs: number): string =>
  outgoingText(entry.channel, entry.text, entry.plain, { id: entry.id, ts: Math.floor(nowMs / 1000), origin: entry.origin }, secret)
