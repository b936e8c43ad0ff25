/**
 * Filter evaluation (docs/configuration.md, filters): every entry's key must be present with one of its values
 * (AND across entries, OR within one); a message must pass the server's and the channel's filter.
 */

export interface FilterEntry {
  readonly key: string
  readonly values: ReadonlyArray<string>
}

/** An empty filter lets every message pass. */
export type Filter = ReadonlyArray<FilterEntry>

/** Where a filter stands: on a server (all its channels) or on one channel. */
export type FilterScope = "server" | "channel"

export type FilterVerdict =
  | { readonly _tag: "Pass" }
  | {
    readonly _tag: "Reject"
    readonly scope: FilterScope
    readonly key: string
    /** The message's value for `key`; `undefined` when the key is absent. */
    readonly value: string | undefined
    /** The values the failing entry allows (for the log line). */
    readonly values: ReadonlyArray<string>
  }

export type FilterResult =
  | { readonly pass: true }
  | {
    readonly pass: false
    readonly key: string
    readonly value: string | undefined
    readonly values: ReadonlyArray<string>
  }

// Shared results: the passing path allocates nothing.
const PASSED: FilterResult = { pass: true }
const PASS: FilterVerdict = { _tag: "Pass" }

/**
 * Checks one filter; reports the first entry (in filter order) that fails.
 *
 * An entry with an empty `values` list can never pass: "the value is one of
 * nothing" is false, and reading it as "any value" would silently open the
 * filter. The config layer rejects such entries before they get here.
 */
export const evaluateFilter = (filter: Filter, fields: ReadonlyMap<string, string>): FilterResult => {
  for (let i = 0; i < filter.length; i++) {
    const entry = filter[i]!
    const value = fields.get(entry.key)
    // Values lists are a handful of strings: a linear scan beats building a Set.
    if (value === undefined || !entry.values.includes(value)) {
      return { pass: false, key: entry.key, value, values: entry.values }
    }
  }
  return PASSED
}

/** Checks the server's filter, then the channel's; the first failing entry is reported. */
export const checkFilters = (
  filters: { readonly server: Filter; readonly channel: Filter },
  fields: ReadonlyMap<string, string>
): FilterVerdict => {
  const server = evaluateFilter(filters.server, fields)
  if (!server.pass) return { _tag: "Reject", scope: "server", key: server.key, value: server.value, values: server.values }
  const channel = evaluateFilter(filters.channel, fields)
  if (!channel.pass) {
    return { _tag: "Reject", scope: "channel", key: channel.key, value: channel.value, values: channel.values }
  }
  return PASS
}
