/** Shared expectations of the config tests: a document that loads, or the issues it is refused with. */
import * as Either from "effect/Either"
import { expect } from "vitest"
import { decodeConfig, formatIssue, type Config } from "../../src/config/index.js"

export const decoded = (yaml: string, source = "<inline>"): Config =>
  Either.getOrElse(decodeConfig(yaml, source), (error) => {
    throw new Error(`expected the config to load, got:\n${error.message}`)
  })

/** The formatted issues of a refused document (which must be refused as Invalid). */
export const issues = (yaml: string): ReadonlyArray<string> =>
  Either.match(decodeConfig(yaml, "<inline>"), {
    onLeft: (error) => {
      expect(error.reason).toBe("Invalid")
      return error.issues.map(formatIssue)
    },
    onRight: () => {
      throw new Error("expected the config to be refused")
    }
  })

/** A config of one fanout server with one channel, `Fail2ban`, running `action`, with `channelLines` (indented for the channel) and then `extra`. */
export const oneChannel = (action: string, channelLines: string, extra = ""): string => `
servers:
  - host: hub.example.com
    port: 1986
    channels:
      - name: Fail2ban
        action: ${JSON.stringify(action)}
${channelLines}
${extra}`
