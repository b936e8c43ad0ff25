/**
 * The fast path of `f2bc publish` (src/cli/publishArgv.ts) reads every argument
 * list it accepts exactly as @effect/cli reads it with publish's own options.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { FastCheck as fc } from "effect"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { describe, expect, it } from "vitest"
import { publishOptions } from "../../src/cli/publish.js"
import { readPublishArgv } from "../../src/cli/publishArgv.js"

/** What @effect/cli gives publish's handler for `f2bc …args`, or the error's tag. */
const readByCli = (args: ReadonlyArray<string>): Promise<unknown> => {
  let given: unknown = "not run"
  const publish = Command.make("publish", publishOptions, (parsed) => Effect.sync(() => void (given = parsed)))
  const root = Command.make("f2bc").pipe(Command.withSubcommands([publish]))
  return Command.run(root, { name: "f2bc", version: "test" })(["node", "f2bc", ...args]).pipe(
    Effect.provide(Layer.mergeAll(CliConfig.layer({ showBuiltIns: false }), NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
    Effect.map(() => given),
    Effect.catchAll((error) => Effect.succeed(`failed: ${error._tag}`)),
    // @effect/cli prints its usage errors; the test needs only the outcome.
    (program) => Effect.flatMap(Effect.console, (base) => Effect.withConsole(program, { ...base, log: () => Effect.void, error: () => Effect.void })),
    Effect.runPromise
  )
}

const flags = ["--channel", "-c", "--message", "-m", "--host", "--port", "-p", "--config", "--timeout", "--secret-file", "--node-name", "--ban-until"]
/** Near misses: other spellings, built-ins, unknown and `=` forms, which the fast path leaves to the full CLI. */
const otherTokens = ["--Host", "-C", "--channel=Fail2ban", "--port=1986", "-cFail2ban", "--hots", "--", "--help", "-h", "--version", "--wizard", "--log-level", "--via-daemon", "--unknown", "-x"]
const values = [
  "Fail2ban",
  "jail=sshd, action=banip, ip=192.0.2.7",
  "127.0.0.1",
  "1986",
  "0012",
  "10",
  "+5",
  " 7",
  "7 ",
  "1e3",
  "-1",
  "",
  " x",
  "x ",
  "a b",
  "-m",
  "--host",
  "publish",
  "true",
  "false",
  "é",
  "x=y=z",
  "/etc/f2bc.yml"
]

const flag = fc.constantFrom(...flags)
const value = fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 6 }))
/** A value the fast path takes (integers in digits), or for the integer options one it leaves to the full CLI. */
const plainValue = (name: string) =>
  name === "-p" || name === "--port" || name === "--timeout" || name === "--ban-until"
    ? fc.constantFrom("1986", "10", "0012", "0", "99999", "+5", "1e3", "0x10", "1.5", "٣")
    : fc.oneof(fc.constantFrom(...values.filter((v) => v !== "" && !v.startsWith("-") && v.trim() === v)), fc.stringMatching(/^[^-\s]\S{0,5}$/))
/** --channel and --message, and any others, each at most once (one of its spellings), in any order. */
const wellFormed = fc
  .subarray([["--host"], ["--port", "-p"], ["--config"], ["--timeout"], ["--secret-file"], ["--node-name"], ["--ban-until"]])
  .chain((optional) => {
    const options = [["--channel", "-c"], ["--message", "-m"], ...optional]
    return fc.shuffledSubarray(options, { minLength: options.length, maxLength: options.length })
  })
  .chain((options) => fc.tuple(...options.map((spellings) => fc.constantFrom(...spellings).chain((name) => plainValue(name).map((v) => [name, v])))))
  .map((pairs) => pairs.flat())
/** The same, perturbed: near misses, stray values, or a second `--name value` pair (a duplicate, an odd integer) inserted anywhere. */
const insertion: fc.Arbitrary<ReadonlyArray<string>> = fc.oneof(
  fc.constantFrom(...otherTokens, ...flags).map((token) => [token]),
  value.map((token) => [token]),
  fc.tuple(flag, value)
)
const perturbed = fc
  .tuple(wellFormed, fc.array(fc.tuple(fc.nat(16), insertion), { minLength: 1, maxLength: 2 }))
  .map(([args, insertions]) => {
    const copy = [...args]
    for (const [at, tokens] of insertions) copy.splice(Math.min(at - (at % 2), copy.length), 0, ...tokens)
    return copy
  })
const argv = fc.oneof(wellFormed, perturbed).map((args) => ["publish", ...args])

describe("the fast path's reading of publish's arguments", () => {
  it("reads every list it accepts as @effect/cli does (same channel, message, options and defaults)", async () => {
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const fast = readPublishArgv(args)
        if (fast === undefined) return
        accepted++
        expect(await readByCli(args)).toEqual(fast)
      }),
      { numRuns: 300 }
    )
    // The generator must exercise the accepting side, or the property says nothing.
    expect(accepted).toBeGreaterThan(60)
  })

  it("accepts what fail2ban's action and `--host` publishes run; leaves the rest to the full CLI", async () => {
    const fail2ban = ["publish", "--config", "/etc/f2bc.yml", "--channel", "Fail2ban", "--timeout", "10", "--message", "jail=sshd, action=banip, ip=192.0.2.7"]
    expect(readPublishArgv(fail2ban)).toEqual(await readByCli(fail2ban))
    const host = ["publish", "--host", "127.0.0.1", "-p", "1986", "-c", "Cold", "-m", "jail=sshd, action=banip, ip=192.0.2.7", "--node-name", "web1"]
    expect(readPublishArgv(host)).toEqual(await readByCli(host))
    for (const args of [
      ["publish", "--help"],
      ["publish", "-c", "Fail2ban"],
      ["publish", "--channel=Fail2ban", "-m", "a=b"],
      ["publish", "-c", "Fail2ban", "-m", "a=b", "-c", "Other"],
      ["publish", "-c", "Fail2ban", "-m", "a=b", "--via-daemon"],
      ["publish", "-c", "Fail2ban", "-m", "a=b", "-p", "+5"],
      ["check", "-c", "Fail2ban", "-m", "a=b"],
      ["--version"],
      []
    ]) expect(readPublishArgv(args), args.join(" ")).toBeUndefined()
  })
})
