/**
 * The broker's subscription table: channel → subscribed clients, with each
 * client's own set of channels bounded, in entries and in the bytes of their names,
 * so no client can grow the table without limit.
 */

/** Channel → clients; the client's `channels` set is kept in step. */
export class Subscriptions<C extends { readonly channels: Set<string>; channelBytes: number }> {
  private readonly table = new Map<string, Set<C>>()
  /** Subscriptions of all clients together. */
  count = 0

  constructor(
    private readonly maxPerClient: number,
    private readonly maxBytesPerClient: number
  ) {}

  /** Channels with at least one subscriber. */
  get channels(): number {
    return this.table.size
  }

  subscribers(channel: string): ReadonlySet<C> | undefined {
    return this.table.get(channel)
  }

  /** `Known` when already subscribed, `Full` when the client is at one of its bounds. */
  add(client: C, channel: string): "Added" | "Known" | "Full" {
    if (client.channels.has(channel)) return "Known"
    // Bounded in names and in their bytes: 1024 names of 64 KiB were 64 MiB of one client's making.
    const bytes = Buffer.byteLength(channel)
    if (client.channels.size >= this.maxPerClient || client.channelBytes + bytes > this.maxBytesPerClient) return "Full"
    client.channels.add(channel)
    client.channelBytes += bytes
    const set = this.table.get(channel)
    if (set === undefined) this.table.set(channel, new Set([client]))
    else set.add(client)
    this.count++
    return "Added"
  }

  /** False when the client was not subscribed. */
  remove(client: C, channel: string): boolean {
    if (!client.channels.delete(channel)) return false
    client.channelBytes -= Buffer.byteLength(channel)
    const set = this.table.get(channel)
    if (set !== undefined) {
      set.delete(client)
      if (set.size === 0) this.table.delete(channel)
    }
    this.count--
    return true
  }
}
