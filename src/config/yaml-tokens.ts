/**
 * Questions asked of yaml's concrete syntax tree before it is composed: how deep it nests, and
 * which quote or bracket was left open. The walks keep their own stack: a hostile depth cannot overflow.
 */
import { CST } from "yaml"

const childrenOf = (token: CST.Token): ReadonlyArray<CST.Token> => {
  if (token.type === "document") return token.value === undefined ? [] : [token.value]
  if (!CST.isCollection(token)) return []
  const children: Array<CST.Token> = []
  for (const item of token.items) {
    if (item.key !== undefined && item.key !== null) children.push(item.key)
    if (item.value !== undefined) children.push(item.value)
  }
  return children
}

/** Calls `visit` with every token and the number of collections it is in (itself included), in document order. */
const walk = (roots: ReadonlyArray<CST.Token>, visit: (token: CST.Token, depth: number) => boolean): void => {
  const stack: Array<readonly [CST.Token, number]> = roots.map((token) => [token, 0] as const).reverse()
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [token, outer] = entry
    const depth = CST.isCollection(token) ? outer + 1 : outer
    if (!visit(token, depth)) return
    const children = childrenOf(token)
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i] as CST.Token, depth])
  }
}

/** The first collection nested deeper than `limit` collections, or undefined. */
export const firstTooDeep = (roots: ReadonlyArray<CST.Token>, limit: number): CST.Token | undefined => {
  let found: CST.Token | undefined
  walk(roots, (token, depth) => {
    if (depth > limit) found = token
    return found === undefined
  })
  return found
}

/** `'` closes a single-quoted scalar unless doubled: an odd run of quotes after the opening one closes it. */
const singleQuoteClosed = (source: string): boolean => {
  let run = 0
  for (let i = source.length - 1; i > 0 && source[i] === "'"; i--) run++
  return run % 2 === 1
}

/** `"` closes a double-quoted scalar unless escaped by an odd run of backslashes. */
const doubleQuoteClosed = (source: string): boolean => {
  if (source.length < 2 || !source.endsWith("\"")) return false
  let run = 0
  for (let i = source.length - 2; i > 0 && source[i] === "\\"; i--) run++
  return run % 2 === 0
}

/** The quote or bracket that `token` opens and never closes, or undefined. */
const openedNotClosed = (token: CST.Token): string | undefined => {
  switch (token.type) {
    case "flow-collection":
      return token.end.some((end) => end.type === "flow-map-end" || end.type === "flow-seq-end") ? undefined : token.start.source
    case "double-quoted-scalar":
      return doubleQuoteClosed(token.source) ? undefined : "\""
    case "single-quoted-scalar":
      return singleQuoteClosed(token.source) ? undefined : "'"
    default:
      return undefined
  }
}

/** Where a quote or bracket never closed. */
export interface Unclosed {
  readonly offset: number
  readonly opener: string
}

/** The last quote or bracket opened before `offset` that is never closed: where an error found later likely starts. */
export const unclosedBefore = (roots: ReadonlyArray<CST.Token>, offset: number): Unclosed | undefined => {
  let found: Unclosed | undefined
  walk(roots, (token) => {
    if (token.offset >= offset) return false
    const opener = openedNotClosed(token)
    if (opener !== undefined) found = { offset: token.offset, opener }
    return true
  })
  return found
}
