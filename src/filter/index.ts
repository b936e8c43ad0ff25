/**
 * Filter evaluation (docs/configuration.md, filters): which messages a server and a channel accept.
 * Pure: works on the parsed message's fields only.
 */
export { checkFilters, evaluateFilter } from "./filter.js"
export type { Filter, FilterEntry, FilterResult, FilterScope, FilterVerdict } from "./filter.js"
