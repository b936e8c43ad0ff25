/**
 * The durable consumer's name derived from node_name (issue 7): always a
 * name NATS accepts, the node name itself when it already is one, and never
 * the same for two node names (two hosts sharing a consumer would split its messages).
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { consumerNameOf } from "../../src/config/index.js"

/** node_name's syntax: letters, digits, "_", "." and "-", not starting with "-". */
const nodeName = fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/)

describe("consumerNameOf", () => {
  it("gives a name of NATS's consumer-name characters (no \".\", \"*\", \">\", whitespace or path separator), at most 200 characters", () => {
    fc.assert(
      fc.property(nodeName, (name) => {
        const consumer = consumerNameOf(name)
        expect(consumer).toMatch(/^[A-Za-z0-9_-]{1,200}$/)
      }),
      { numRuns: 2000 }
    )
  })

  it("keeps a node name that is already a valid consumer name", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,199}$/), (name) => {
        expect(consumerNameOf(name)).toBe(name)
      })
    )
  })

  it("never gives two node names the same consumer", () => {
    fc.assert(
      fc.property(nodeName, nodeName, (a, b) => {
        if (a !== b) expect(consumerNameOf(a)).not.toBe(consumerNameOf(b))
      }),
      { numRuns: 2000 }
    )
    // The collisions a plain character replacement would make.
    const names = ["web1.example.com", "web1_example_com", "web1-example-com", "web1.example_com", "a.b", "a_b"]
    expect(new Set(names.map(consumerNameOf)).size).toBe(names.length)
  })

  it("reads like the host name", () => {
    expect(consumerNameOf("web1")).toBe("web1")
    expect(consumerNameOf("web1.example.com")).toMatch(/^web1_example_com_[0-9a-f]{8}$/)
  })
})
