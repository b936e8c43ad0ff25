// Summaries of repeated measurements: median with min–max, percentiles, and
// number formatting for the table.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100) of a sample. */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** Median, min and max of repeated runs. */
export const summary = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length })

/** Groups of three digits separated by a thin space; one decimal below 100 when `decimals` allows. */
export const formatNumber = (value, decimals = value < 10 ? 2 : value < 100 ? 1 : 0) => {
  const fixed = value.toFixed(decimals)
  const [whole, fraction] = fixed.split(".")
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f")
  return fraction === undefined ? grouped : `${grouped}.${fraction}`
}

/** `612 000 msgs/s (590 000–630 000)` */
export const formatSummary = (s, unit, decimals) =>
  s.runs > 1
    ? `${formatNumber(s.median, decimals)} ${unit} (${formatNumber(s.min, decimals)}–${formatNumber(s.max, decimals)})`
    : `${formatNumber(s.median, decimals)} ${unit}`
