// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per function and
// per source module. Modules come from the `// path` comments esbuild writes
// before each module in an unminified bundle.
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

/** For each bundle file, the module each line belongs to. */
const moduleIndex = new Map()
const moduleOf = (url, line) => {
  if (!url.startsWith("file://")) return url === "" ? "(native)" : url
  let index = moduleIndex.get(url)
  if (index === undefined) {
    index = []
    try {
      const lines = fs.readFileSync(fileURLToPath(url), "utf8").split("\n")
      let current = "(bundle)"
      for (const text of lines) {
        const marker = text.match(/^\/\/ ((?:src|node_modules|bench)\/\S+)$/)
        // node_modules/effect/dist/esm/internal/fiberRuntime.js → effect: internal/fiberRuntime.js
        if (marker !== null) current = marker[1].replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/(?:dist\/(?:esm|cjs|dist)\/)?/, "$1: ")
        index.push(current)
      }
    } catch {
      // not a readable file: attribute to the url
    }
    moduleIndex.set(url, index)
  }
  return index[line] ?? url.replace(/^.*\//, "")
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"])

/** Top `limit` functions and modules by self time, as Markdown lines. */
export const summariseProfile = (file, limit = 15) => {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  const functions = new Map()
  const modules = new Map()
  const special = new Map()
  let busy = 0
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id)
    const name = callFrame.functionName || "(anonymous)"
    if (SPECIAL.has(name)) {
      special.set(name, (special.get(name) ?? 0) + ms)
      if (name !== "(idle)") busy += ms
      continue
    }
    busy += ms
    const module = moduleOf(callFrame.url, callFrame.lineNumber)
    const key = `${name} — ${module}:${callFrame.lineNumber + 1}`
    functions.set(key, (functions.get(key) ?? 0) + ms)
    modules.set(module, (modules.get(module) ?? 0) + ms)
  }
  const percent = (ms) => `${((100 * ms) / busy).toFixed(1)} %`
  // Where the time goes at a glance: each dependency, f2bc's src/ folders, node's internals.
  const origins = new Map()
  for (const [module, ms] of modules) {
    const origin = module.startsWith("src/") ? module.split("/").slice(0, 2).join("/") + "/" : module.startsWith("node:") ? "node: internals" : module.includes(": ") ? module.split(": ")[0] : module
    origins.set(origin, (origins.get(origin) ?? 0) + ms)
  }
  const byOrigin = [...origins.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([origin, ms]) => `${origin} ${percent(ms)}`).join(", ")
  const top = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([key, ms]) => `| ${percent(ms)} | ${ms.toFixed(0)} ms | ${key.replaceAll("|", "\\|")} |`)
  return [
    `busy ${busy.toFixed(0)} ms (idle ${(special.get("(idle)") ?? 0).toFixed(0)} ms); garbage collector ${percent(special.get("(garbage collector)") ?? 0)}, (program) ${percent(special.get("(program)") ?? 0)} of busy`,
    "",
    `By origin: ${byOrigin}.`,
    "",
    "| self | ms | function — module:line (bundle line) |",
    "|---:|---:|---|",
    ...top(functions),
    "",
    "| self | ms | module |",
    "|---:|---:|---|",
    ...top(modules)
  ].join("\n")
}
