// Baseline of figure 6: a bare node:net broadcaster with no protocol. Every
// complete line a client sends goes, as one write per chunk, to every other client.
import * as net from "node:net"

const clients = new Set()
const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  clients.add(socket)
  let tail = Buffer.alloc(0)
  socket.on("data", (chunk) => {
    const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk])
    const end = bytes.lastIndexOf(10) + 1
    tail = bytes.subarray(end)
    if (end === 0) return
    const lines = bytes.subarray(0, end)
    for (const other of clients) if (other !== socket) other.write(lines)
  })
  socket.on("error", () => undefined)
  socket.on("close", () => clients.delete(socket))
  socket.write("hello\n")
})
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`))
