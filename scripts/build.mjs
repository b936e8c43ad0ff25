// Bundles src/bin.ts into dist/ with esbuild: one CommonJS bundle
// (dist/f2bc.cjs), a V8 code cache for it (dist/f2bc.cjs.cache) and the
// executable dist/f2bc.js, which runs the bundle through that cache.
//
// Why: most of `f2bc publish`'s start-up is compiling JavaScript. Node 20
// can reuse V8's compiled code only for scripts (vm.Script `cachedData`), not
// for ES modules, so the program is one CommonJS bundle; code reached through
// import() (the daemon, the broker, NATS) is wrapped by esbuild so that it is
// evaluated only when imported. The cache is made here by running
// `f2bc --version` once, so it also holds the functions start-up compiles
// lazily. A cache V8 rejects (another Node version or V8 flags) is ignored:
// the bundle is then compiled as usual.
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"

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

rmSync("dist", { recursive: true, force: true })
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

// How the executable compiles the bundle; the cache below is made from the same text.
// `file` is an expression for the bundle's absolute path.
const loadBundle = (file) => `
const file = ${file}
// The module wrapper node puts around a CommonJS file.
const source = \`(function (exports, require, module, __filename, __dirname) { \${readFileSync(file, "utf8")}\\n});\`
let cachedData
try {
  cachedData = readFileSync(\`\${file}.cache\`)
} catch {
  // no cache: compile as usual
}
const script = new Script(source, { filename: file, cachedData })
const module = { exports: {}, id: file, filename: file, loaded: false }
const run = () => script.runInThisContext()(module.exports, createRequire(file), module, file, nodePath.dirname(file))
`
const imports = (fsNames) => `import { ${fsNames} } from "node:fs"
import { createRequire } from "node:module"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"
`

writeFileSync(
  "dist/f2bc.js",
  `#!/usr/bin/env node
// f2bc, built by scripts/build.mjs: runs f2bc.cjs, compiled with the V8 code cache f2bc.cjs.cache when V8 accepts it.
${imports("readFileSync")}${loadBundle(`fileURLToPath(new URL("f2bc.cjs", import.meta.url))`)}
run()
`,
  { mode: 0o755 }
)
chmodSync("dist/f2bc.js", 0o755)

// Build time only: run `f2bc --version` from the bundle as the executable does, and keep what V8 compiled.
const bundle = path.resolve("dist/f2bc.cjs")
const cacheMaker = `${imports("readFileSync, writeFileSync")}${loadBundle(JSON.stringify(bundle))}
process.argv = [process.argv[0], ${JSON.stringify(path.resolve("dist/f2bc.js"))}, "--version"]
process.on("exit", () => writeFileSync(\`\${file}.cache\`, script.createCachedData()))
run()
`
const made = spawnSync(process.execPath, ["--input-type=module", "-e", cacheMaker], { encoding: "utf8" })
if (made.status !== 0 || !existsSync(`${bundle}.cache`)) {
  throw new Error(`making the code cache failed (exit ${made.status}):\n${made.stdout}${made.stderr}`)
}
