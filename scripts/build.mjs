// Bundles f2bc into dist/ with esbuild: two CommonJS bundles and the
// executable dist/f2bc.js, which runs one of them through a V8 code cache made
// by and for the Node that runs it.
//
// - dist/f2bc-publish.cjs (src/cli/publishPlain.ts): `f2bc publish` to --host
//   without a config, the form a start-up matters for, with no Effect runtime
//   and node:crypto loaded at first use (~26 KB). The launcher tries it first for
//   every `publish`; it declines any other form.
// - dist/f2bc.cjs (src/bin.ts): everything else, `publish --config` included.
//
// Why: most of a short command's start-up is compiling and evaluating JavaScript.
// Node 20 can reuse V8's compiled code only for scripts (vm.Script `cachedData`),
// not for ES modules, so each program is one CommonJS bundle; code reached through
// import() (the full CLI, the daemon, the broker, NATS) is wrapped by esbuild
// so that it is evaluated only when imported. A cache is valid for one Node
// (V8) version only, so dist/f2bc.js keeps one per bundle and Node version beside
// it (`<bundle>.<build>.<node version>-<arch>.cache`), uses it only when
// it is as safe as the bundle itself (owned by root, the user or the bundle's
// owner, writable by no one else, in a directory likewise), and, when a
// `publish` succeeded without a usable one, writes one at exit if it may. The
// build makes the building Node's caches with a `publish --host` and a
// `publish --config` to a stand-in server.
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

/** What both bundles are: one minified CommonJS file for Node 20 and later, with its source map. */
const bundleOptions = { bundle: true, format: "cjs", platform: "node", target: "node20", minify: true, sourcemap: "linked", logLevel: "warning" }

rmSync("dist", { recursive: true, force: true })
// `f2bc publish` to --host without a config (cli/publishPlain.ts): no Effect runtime, read before the big bundle.
const publishBundle = await build({
  ...bundleOptions,
  plugins: [lazyCrypto],
  entryPoints: ["src/cli/publishPlain.ts"],
  outfile: "dist/f2bc-publish.cjs",
  metafile: true
})
// What keeps it small: no Effect module but Either (a data type), no node:crypto at load.
const bundled = Object.entries(publishBundle.metafile.outputs["dist/f2bc-publish.cjs"].inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []))
const effectModules = bundled.filter((input) => /node_modules\/effect\//.test(input) && !/\/(Either|internal\/either|Equal|Hash|Function|Utils|Inspectable|Pipeable|internal\/effectable|GlobalValue|Predicate|internal\/version|internal\/opCodes\/effect)\.js$/.test(input))
if (effectModules.length > 0) throw new Error(`dist/f2bc-publish.cjs must not bundle Effect's runtime, it has: ${effectModules.join(", ")}`)

await build({ ...bundleOptions, plugins: [noWebSocket], entryPoints: ["src/bin.ts"], outfile: "dist/f2bc.cjs" })

// The executable. A bundle's build id (a hash of it) names it in its caches' names: a cache of
// another bundle of the same length would otherwise be taken by V8.
const launcher = (buildIds) => `#!/usr/bin/env node
// f2bc, built by scripts/build.mjs: runs f2bc-publish.cjs (publish to --host) or f2bc.cjs, compiled with this Node's V8 code cache when there is a safe one.
"use strict"
const fs = require("node:fs")
const { createRequire } = require("node:module")
const nodePath = require("node:path")
const { Script } = require("node:vm")

const BUILD_IDS = ${JSON.stringify(buildIds)}
const uid = process.geteuid()
const dirStats = fs.statSync(__dirname)

/**
 * Runs the bundle \`name\` (BUILD_IDS holds its build id) and returns its exports and
 * \`leaveCache\`: for a publish that succeeds without a usable cache, which writes one at exit.
 */
const load = (name) => {
  const file = nodePath.join(__dirname, name)
  const cacheFile = nodePath.join(__dirname, \`\${name}.\${BUILD_IDS[name]}.\${process.version}-\${process.arch}.cache\`)
  const bundle = fs.openSync(file, "r")
  const owner = fs.fstatSync(bundle).uid
  // The module wrapper node puts around a CommonJS file.
  const source = \`(function (exports, require, module, __filename, __dirname) { \${fs.readFileSync(bundle, "utf8")}\\n});\`
  fs.closeSync(bundle)

  // A cache is code this process will run: it must be as safe as the bundle, owned
  // by root, this user or the bundle's owner and writable by no one else, as its directory.
  const safe = (stats) => (stats.uid === 0 || stats.uid === uid || stats.uid === owner) && (stats.mode & 0o022) === 0
  const safeDir = safe(dirStats)
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
  const leaveCache = () => {
    if (!safeDir || (cachedData !== undefined && !script.cachedDataRejected)) return
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
  return { exports: module_.exports, leaveCache }
}

const publish = process.argv[2] === "publish"
// publish to --host without a config: the small bundle, no Effect runtime (it declines every other form).
const plain = publish ? load("f2bc-publish.cjs") : undefined
if (plain !== undefined && plain.exports.publishPlain(process.argv.slice(2), process.env) !== undefined) plain.leaveCache()
else {
  const main = load("f2bc.cjs")
  if (publish) main.leaveCache()
}
`

const buildIdOf = (file) => createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16)
const buildIds = { "f2bc-publish.cjs": buildIdOf("dist/f2bc-publish.cjs"), "f2bc.cjs": buildIdOf("dist/f2bc.cjs") }
writeFileSync("dist/package.json", `${JSON.stringify({ type: "commonjs" })}\n`)
writeFileSync("dist/f2bc.js", launcher(buildIds), { mode: 0o755 })
chmodSync("dist/f2bc.js", 0o755)

// The building Node's caches: one \`publish --host\` (the small bundle) and one in fail2ban's command-action
// form, \`publish --config\` (the big one), to a stand-in server that answers each ping.
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
const port = String(server.address().port)
const configDir = mkdtempSync(nodePath.join(tmpdir(), "f2bc-build-"))
const config = nodePath.join(configDir, "f2bc.yml")
writeFileSync(config, `node_name: build\nservers:\n  - host: 127.0.0.1\n    port: ${port}\n    channels:\n      - name: build\n        action: "true %ip%"\n`, { mode: 0o600 })
const message = "jail=build, action=banip, ip=192.0.2.1"

/** Runs \`f2bc …args\`; resolves to its exit status and output. */
const f2bc = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/f2bc.js", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.once("exit", (status) => resolve({ status, output }))
  })
const runs = [
  await f2bc(["publish", "--host", "127.0.0.1", "-p", port, "--node-name", "build", "-c", "build", "-m", message]),
  await f2bc(["publish", "--config", config, "--channel", "build", "--timeout", "10", "--message", message])
]
server.close()
rmSync(configDir, { recursive: true, force: true })
const caches = readdirSync("dist").filter((name) => name.endsWith(".cache"))
const made = Object.keys(buildIds).every((bundle) => caches.some((cache) => cache.startsWith(`${bundle}.${buildIds[bundle]}.`)))
if (runs.some((run) => run.status !== 0) || caches.length !== 2 || !made) {
  throw new Error(`making the code caches failed (exit ${runs.map((run) => run.status).join(", ")}; caches: ${caches.join(", ") || "none"}):\n${runs.map((run) => run.output).join("")}`)
}
