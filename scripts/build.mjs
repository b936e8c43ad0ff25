// Bundles src/bin.ts into dist/ with esbuild: one CommonJS bundle
// (dist/f2bc.cjs) and the executable dist/f2bc.js, which runs the bundle
// through a V8 code cache made by and for the Node that runs it.
//
// Why: most of `f2bc publish`'s start-up is compiling JavaScript. Node 20
// can reuse V8's compiled code only for scripts (vm.Script `cachedData`), not
// for ES modules, so the program is one CommonJS bundle; code reached through
// import() (the full CLI, the daemon, the broker, NATS) is wrapped by esbuild
// so that it is evaluated only when imported. A cache is valid for one Node
// (V8) version only, so dist/f2bc.js keeps one per Node version beside the
// bundle (`f2bc.cjs.<build>.<node version>-<arch>.cache`), uses it only when
// it is as safe as the bundle itself (owned by root, the user or the bundle's
// owner, writable by no one else, in a directory likewise), and, when a
// `publish` succeeded without a usable one, writes one at exit if it may. The
// build makes the building Node's cache with one `publish` to a stand-in server.
// dist/package.json makes dist/f2bc.js CommonJS: Node's ES-module loader
// would cost 5–8 ms of every start.
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import * as nodePath from "node:path"

// f2bc opens no WebSocket. @effect/platform-node's NodeSocket (which the fanout
// transport uses for TCP) imports the `ws` package for its WebSocket layer; an
// ES-module build drops it as unused, but a CommonJS bundle keeps it and
// evaluates it (and node's http, https, tls and zlib) at every start. It is
// replaced by a stand-in that refuses to be used.
const noWebSocket = {
  name: "no-websocket",
  setup(build) {
    build.onResolve({ filter: /^ws$/ }, () => ({ path: "ws", namespace: "no-websocket" }))
    build.onLoad({ filter: /.*/, namespace: "no-websocket" }, () => ({
      contents: `
        const unavailable = () => { throw new Error("f2bc is built without WebSocket support (the ws package)") }
        export class WebSocket { constructor() { unavailable() } }
        export class WebSocketServer { constructor() { unavailable() } }
        export default WebSocket
      `,
      loader: "js"
    }))
  }
}

// In the publish bundle, node:crypto is required at its first use: loading it costs ~2–3 ms of a
// start, and the plain path signs nothing (it reads its random bytes from /dev/urandom). Each of
// node:crypto's functions is a stand-in that loads the module; importing anything else from it
// (a class, a constant) fails the build.
const lazyCrypto = {
  name: "lazy-crypto",
  setup(build) {
    build.onResolve({ filter: /^node:crypto$/ }, () => ({ path: "node:crypto", namespace: "lazy-crypto" }))
    build.onLoad({ filter: /.*/, namespace: "lazy-crypto" }, async () => {
      const crypto = await import("node:crypto")
      const functions = Object.keys(crypto).filter((name) => /^[a-z]/.test(name) && typeof crypto[name] === "function")
      return {
        contents: [
          `let loaded; const load = () => (loaded ??= require("node:crypto"))`,
          ...functions.map((name) => `export const ${name} = (...args) => load().${name}(...args)`)
        ].join("\n"),
        loader: "js"
      }
    })
  }
}

rmSync("dist", { recursive: true, force: true })
// `f2bc publish` to --host without a config (cli/publishPlain.ts): no Effect runtime, read before the big bundle.
const publishBundle = await build({
  plugins: [lazyCrypto],
  entryPoints: ["src/cli/publishPlain.ts"],
  outfile: "dist/f2bc-publish.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning"
})
// What keeps it small: no Effect module but Either (a data type), no node:crypto at load.
const bundled = Object.entries(publishBundle.metafile.outputs["dist/f2bc-publish.cjs"].inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []))
const effectModules = bundled.filter((input) => /node_modules\/effect\//.test(input) && !/\/(Either|internal\/either|Equal|Hash|Function|Utils|Inspectable|Pipeable|internal\/effectable|GlobalValue|Predicate|internal\/version|internal\/opCodes\/effect)\.js$/.test(input))
if (effectModules.length > 0) throw new Error(`dist/f2bc-publish.cjs must not bundle Effect's runtime, it has: ${effectModules.join(", ")}`)

await build({
  plugins: [noWebSocket],
  entryPoints: ["src/bin.ts"],
  outfile: "dist/f2bc.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning"
})

// The executable. `buildId` names the bundle in its caches' names: a cache of
// another bundle of the same length would otherwise be taken by V8.
const launcher = (buildId) => `#!/usr/bin/env node
// f2bc, built by scripts/build.mjs: runs f2bc.cjs, compiled with this Node's V8 code cache when there is a safe one.
"use strict"
// publish to --host without a config runs the small bundle, without Effect's runtime (it declines other forms).
if (process.argv[2] === "publish" && require("./f2bc-publish.cjs").publishPlain(process.argv.slice(2), process.env) !== undefined) return
const fs = require("node:fs")
const { createRequire } = require("node:module")
const nodePath = require("node:path")
const { Script } = require("node:vm")

const file = nodePath.join(__dirname, "f2bc.cjs")
const cacheFile = nodePath.join(__dirname, \`f2bc.cjs.${buildId}.\${process.version}-\${process.arch}.cache\`)
const uid = process.geteuid()
const bundle = fs.openSync(file, "r")
const owner = fs.fstatSync(bundle).uid
// The module wrapper node puts around a CommonJS file.
const source = \`(function (exports, require, module, __filename, __dirname) { \${fs.readFileSync(bundle, "utf8")}\\n});\`
fs.closeSync(bundle)

// A cache is code this process will run: it must be as safe as the bundle, owned
// by root, this user or the bundle's owner and writable by no one else, as its directory.
const safe = (stats) => (stats.uid === 0 || stats.uid === uid || stats.uid === owner) && (stats.mode & 0o022) === 0
const safeDir = safe(fs.statSync(__dirname))

const readCache = () => {
  let fd
  try {
    fd = fs.openSync(cacheFile, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    const stats = fs.fstatSync(fd)
    return stats.isFile() && safe(stats) ? fs.readFileSync(fd) : undefined
  } catch {
    return undefined // none yet: compile as usual
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

const cachedData = safeDir ? readCache() : undefined
const script = new Script(source, { filename: file, cachedData })

// A publish that succeeded without a usable cache leaves one for the next, where
// it may (a read-only or foreign directory: none, and every start compiles).
if (safeDir && process.argv[2] === "publish" && (cachedData === undefined || script.cachedDataRejected)) {
  process.on("exit", (code) => {
    if (code !== 0) return
    const temporary = \`\${cacheFile}.\${process.pid}.tmp\`
    try {
      fs.writeFileSync(temporary, script.createCachedData(), { flag: "wx", mode: 0o644 })
      fs.renameSync(temporary, cacheFile)
    } catch {
      fs.rmSync(temporary, { force: true })
    }
  })
}

const module_ = { exports: {}, id: file, filename: file, loaded: false }
script.runInThisContext()(module_.exports, createRequire(file), module_, file, __dirname)
`

const buildId = createHash("sha256").update(readFileSync("dist/f2bc.cjs")).digest("hex").slice(0, 16)
writeFileSync("dist/package.json", `${JSON.stringify({ type: "commonjs" })}\n`)
writeFileSync("dist/f2bc.js", launcher(buildId), { mode: 0o755 })
chmodSync("dist/f2bc.js", 0o755)

// The building Node's cache: one `publish` to a stand-in server that answers each ping, in fail2ban's
// command-action form (`--config`): `publish --host` runs the small bundle, the big one serves `--config`.
const server = net.createServer((socket) => {
  let pending = ""
  socket.on("error", () => undefined)
  socket.on("data", (chunk) => {
    const lines = (pending + chunk.toString("utf8")).split("\n")
    pending = lines.pop()
    for (const line of lines) if (line === "ping") socket.write(`${Math.floor(Date.now() / 1000)}\n`)
  })
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const configDir = mkdtempSync(nodePath.join(tmpdir(), "f2bc-build-"))
const config = nodePath.join(configDir, "f2bc.yml")
writeFileSync(
  config,
  `node_name: build\nservers:\n  - host: 127.0.0.1\n    port: ${server.address().port}\n    channels:\n      - name: build\n        action: "true %ip%"\n`,
  { mode: 0o600 }
)
const publish = spawn(
  process.execPath,
  ["dist/f2bc.js", "publish", "--config", config, "--channel", "build", "--timeout", "10", "--message", "jail=build, action=banip, ip=192.0.2.1"],
  { stdio: ["ignore", "pipe", "pipe"] }
)
let output = ""
publish.stdout.on("data", (chunk) => (output += chunk))
publish.stderr.on("data", (chunk) => (output += chunk))
const status = await new Promise((resolve) => publish.once("exit", resolve))
server.close()
rmSync(configDir, { recursive: true, force: true })
const caches = readdirSync("dist").filter((name) => name.endsWith(".cache"))
if (status !== 0 || caches.length !== 1) {
  throw new Error(`making the code cache failed (exit ${status}, caches: ${caches.join(", ") || "none"}):\n${output}`)
}
