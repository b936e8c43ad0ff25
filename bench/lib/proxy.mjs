// A loopback TCP proxy that can cut one host off from the broker: `cut()`
// drops every connection through it and refuses new ones until `restore()`.
import * as net from "node:net"

export const startProxy = async (targetPort) => {
  const open = new Set()
  let cut = false
  const server = net.createServer((client) => {
    if (cut) return client.destroy()
    const upstream = net.connect(targetPort, "127.0.0.1")
    const pair = { client, upstream }
    open.add(pair)
    const close = () => {
      open.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on("error", close).on("close", close)
    upstream.on("error", close).on("close", close)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: server.address().port,
    cut: () => {
      cut = true
      for (const { client, upstream } of [...open]) {
        client.destroy()
        upstream.destroy()
      }
    },
    restore: () => {
      cut = false
    },
    close: () =>
      new Promise((resolve) => {
        for (const { client, upstream } of open) {
          client.destroy()
          upstream.destroy()
        }
        server.close(resolve)
      })
  }
}
