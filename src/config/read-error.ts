/** The system's words for a failed file operation, for config and secret errors. */
import { getSystemErrorMap } from "node:util"

/** `no such file or directory (ENOENT)`. */
export const describeReadError = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null) {
    const { errno, code } = cause as { readonly errno?: unknown; readonly code?: unknown }
    const text = typeof errno === "number" ? getSystemErrorMap().get(errno)?.[1] : undefined
    if (text !== undefined && typeof code === "string") return `${text} (${code})`
  }
  return cause instanceof Error ? cause.message : String(cause)
}
