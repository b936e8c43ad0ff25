/**
 * The canonical text of a pair list (docs/protocol.md): `k1=v1, k2=v2`.
 * For every valid pair list, parseMessage(printPairs(pairs)) gives the pairs back.
 */

/** Joins pairs as `k1=v1, k2=v2`; it does not validate (keys and values are assumed valid). */
export const printPairs = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  let out = ""
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!
    out += i === 0 ? `${pair[0]}=${pair[1]}` : `, ${pair[0]}=${pair[1]}`
  }
  return out
}
