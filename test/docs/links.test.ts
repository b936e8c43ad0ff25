/**
 * The documentation's relative links: every link from README.md and docs/
 * to a file of the repository names one that exists, and every #anchor a heading there.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT } from "../support/harness.js"

const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)]

/** The text outside fenced code blocks and inline code, where links are links. */
const prose = (markdown: string): string =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "")

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2… */
const anchorsOf = (markdown: string): ReadonlySet<string> => {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const slug = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-")
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    anchors.add(n === 0 ? slug : `${slug}-${n}`)
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!)
  return anchors
}

/** Relative links `[text](target)` of a document, as written. */
const linksOf = (markdown: string): ReadonlyArray<string> =>
  [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t))

/** The broken links of one document, each with the reason. */
const brokenLinks = (doc: string): ReadonlyArray<string> => {
  const text = fs.readFileSync(path.join(ROOT, doc), "utf8")
  return linksOf(text).flatMap((link) => {
    const [file, anchor] = link.split("#", 2) as [string, string | undefined]
    const target = file === "" ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), decodeURIComponent(file))
    if (!fs.existsSync(target)) return [`${doc}: ${link}: no such file`]
    if (anchor === undefined || anchor === "" || !target.endsWith(".md")) return []
    return anchorsOf(fs.readFileSync(target, "utf8")).has(anchor) ? [] : [`${doc}: ${link}: no heading with that anchor`]
  })
}

describe("documentation links", () => {
  it("finds the headings and links it checks (the checker itself)", () => {
    expect(anchorsOf("# `f2bc publish -c CHANNEL -m MESSAGE`\n## A, b (c)\n## A, b (c)\n")).toEqual(
      new Set(["f2bc-publish--c-channel--m-message", "a-b-c", "a-b-c-1"])
    )
    expect(linksOf("see [x](a.md#b), `[y](no.md)`, [z](https://example.org) and\n```\n[w](fenced.md)\n```\n")).toEqual(["a.md#b"])
  })

  it.each(DOCS)("%s: every relative link and #anchor resolves", (doc) => {
    expect(brokenLinks(doc)).toEqual([])
  })
})
