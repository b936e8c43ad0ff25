/**
 * Paths into the config document (`servers[0].channels[1].action`): the
 * issue shape used before formatting, its rendering and its ordering.
 */
import type { ConfigIssue } from "./errors.js"

/** Keys and list indexes from the document root. */
export type IssuePath = ReadonlyArray<PropertyKey>

/** An issue whose path is still structured, so issues can be ordered and de-duplicated. */
export interface PathIssue {
  readonly path: IssuePath
  readonly message: string
}

const plainKey = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** `servers[0].channels[1].action`; a key that is not a plain word is quoted: `servers[0]["a b"]`. */
export const formatPath = (path: IssuePath): string =>
  path.reduce<string>((text, segment) => {
    if (typeof segment === "number") return `${text}[${segment}]`
    const key = String(segment)
    if (!plainKey.test(key)) return `${text}[${JSON.stringify(key)}]`
    return text === "" ? key : `${text}.${key}`
  }, "")

const compareSegment = (a: PropertyKey, b: PropertyKey): number => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "number") return -1
  if (typeof b === "number") return 1
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Document order for indexes (2 before 10), alphabetical for keys, a parent before its children. */
export const comparePath = (a: IssuePath, b: IssuePath): number => {
  const shared = Math.min(a.length, b.length)
  for (let i = 0; i < shared; i++) {
    const order = compareSegment(a[i] as PropertyKey, b[i] as PropertyKey)
    if (order !== 0) return order
  }
  return a.length - b.length
}

/** A string equal for two paths exactly when comparePath finds them equal (indexes stay numbers, keys strings). */
export const pathKey = (path: IssuePath): string =>
  JSON.stringify(path.map((segment) => (typeof segment === "number" ? segment : String(segment))))

/** Ordered by path (stable: issues at one path keep their order), then rendered. */
export const toConfigIssues = (issues: ReadonlyArray<PathIssue>): ReadonlyArray<ConfigIssue> =>
  [...issues]
    .sort((a, b) => comparePath(a.path, b.path))
    .map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
