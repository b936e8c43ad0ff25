/**
 * One broker client as the hub holds it, and the outbox that batches what a
 * received chunk sends each client into one socket write.
 */
import { initialSplitter, type SplitterState } from "../../protocol/lineSplitter.js"

/** The hub's view of one connection. */
export interface Peer {
  /** `host:port` of the client, for logs. */
  readonly remote: string
  /** Bytes written but not yet sent. */
  readonly writableLength: number
  readonly write: (data: string | Uint8Array) => void
  /** Send `data`, then close gracefully. */
  readonly end: (data: string) => void
  /** Close now, discarding unsent output. */
  readonly destroy: () => void
}

export interface Client {
  readonly peer: Peer
  readonly channels: Set<string>
  /** UTF-8 bytes of the channel names in `channels`: what this client makes the broker keep. */
  channelBytes: number
  splitter: SplitterState
  open: boolean
  /** Output not yet handed to the socket: written as one chunk by `Outbox.flush`. */
  queue: Array<Uint8Array>
  queuedBytes: number
  /** The socket's unsent bytes when the queue was started (it cannot change until `flush` writes). */
  unsentBefore: number
}

export const newClient = (peer: Peer): Client => ({
  peer,
  channels: new Set(),
  channelBytes: 0,
  splitter: initialSplitter,
  open: true,
  queue: [],
  queuedBytes: 0,
  unsentBefore: 0
})

/** The same buffers in the same order (identity, not content: deliveries are encoded once per announce). */
const sameItems = (a: ReadonlyArray<Uint8Array>, b: ReadonlyArray<Uint8Array>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Output queued per client and handed to the sockets by `flush`, one write per client. */
export class Outbox {
  /** Clients with a non-empty queue, in the order they got it (the hub's `send` adds them). */
  dirty: Array<Client> = []

  /** Forgets a disconnected client's output, as the socket's own buffer is by destroy(). */
  discard(client: Client): void {
    client.queue = []
    client.queuedBytes = 0
  }

  /** Hands every queued output to its socket, one write per client (one syscall instead of one per line). */
  flush(): void {
    if (this.dirty.length === 0) return
    const clients = this.dirty
    this.dirty = []
    // Subscribers of the same channels queue the same deliveries: concatenate once for all of them.
    let previous: Array<Uint8Array> | undefined
    let joined: Uint8Array | undefined
    for (const client of clients) {
      const queue = client.queue
      const bytes = client.queuedBytes
      this.discard(client)
      if (!client.open || queue.length === 0) continue
      if (queue.length === 1) {
        client.peer.write(queue[0]!)
        continue
      }
      if (joined === undefined || previous === undefined || !sameItems(previous, queue)) {
        joined = Buffer.concat(queue, bytes)
        previous = queue
      }
      client.peer.write(joined)
    }
  }
}
