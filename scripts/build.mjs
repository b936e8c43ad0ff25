// Bundles src/bin.ts into dist/ with esbuild: one ESM entry plus lazily
// loaded chunks, so `f2bc publish` never loads daemon code.
import { build } from "esbuild"
import { chmodSync, rmSync } from "node:fs"

rmSync("dist", { recursive: true, force: true })
await build({
  entryPoints: { f2bc: "src/bin.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  // Some dependencies are CommonJS and call require(): give ESM one.
  banner: { js: 'import { createRequire as __f2bcCreateRequire } from "node:module"; const require = __f2bcCreateRequire(import.meta.url);' },
  logLevel: "warning"
})
chmodSync("dist/f2bc.js", 0o755)
