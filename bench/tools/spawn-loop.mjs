// Baseline of figure 3: a bare child_process.spawn loop running `file` `count`
// times, `concurrency` at once. Prints {"rate": actions per second}.
import { spawn } from "node:child_process"

const [file, countArg, concurrencyArg] = process.argv.slice(2)
const count = Number(countArg)
const concurrency = Number(concurrencyArg)
let started = 0
let finished = 0
const begin = performance.now()
const next = () => {
  if (started >= count) return
  const i = started++
  const child = spawn(file, [`198.18.${(i >> 8) & 255}.${i & 255}`], { stdio: ["ignore", "pipe", "pipe"] })
  child.stdout.resume()
  child.stderr.resume()
  child.once("close", (code) => {
    if (code !== 0) {
      process.stderr.write(`spawn-loop: ${file} exited ${code}\n`)
      process.exit(1)
    }
    if (++finished === count) process.stdout.write(`${JSON.stringify({ rate: count / ((performance.now() - begin) / 1000) })}\n`)
    else next()
  })
}
for (let i = 0; i < concurrency; i++) next()
