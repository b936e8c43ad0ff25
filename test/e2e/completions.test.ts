/**
 * Shell completions (`f2bc --completions bash|zsh|fish`), as docs/packaging.md
 * tells users to install them: the bash script is valid and completes
 * commands and options of the real CLI.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runF2bc, tempDir } from "../support/harness.js"

/** Sources the bash script and asks it to complete `words` (the last one is being typed). */
const complete = (script: string, words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const cword = words.length - 1
  const program = `source ${JSON.stringify(script)}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${cword}
_f2bc_bash_completions f2bc ${JSON.stringify(words[cword]!)} ${JSON.stringify(words[cword - 1]!)}
printf '%s\\n' "\${COMPREPLY[@]}"`
  const result = spawnSync("bash", ["--norc", "-c", program], { encoding: "utf8" })
  expect(result.stderr).toBe("")
  return result.stdout.split("\n").filter((line) => line !== "")
}

describe("shell completions", () => {
  it("bash: the script parses and completes commands and each command's options", async () => {
    const generated = await runF2bc(["--completions", "bash"])
    expect(generated.code).toBe(0)
    const script = path.join(tempDir(), "f2bc.bash")
    fs.writeFileSync(script, generated.stdout)
    expect(spawnSync("bash", ["-n", script]).status).toBe(0)

    expect(complete(script, ["f2bc", "pub"])).toEqual(["publish"])
    expect(complete(script, ["f2bc", "d"])).toEqual(["daemon"])
    expect(complete(script, ["f2bc", "daemon", "--con"])).toEqual(["--config"])
    expect(complete(script, ["f2bc", "publish", "--secret"])).toEqual(["--secret-file"])
    expect(complete(script, ["f2bc", "check", "--"])).toContain("--config")
  })

  it.each(["zsh", "fish"])("%s: a script naming every command", async (shell) => {
    const generated = await runF2bc(["--completions", shell])
    expect(generated.code).toBe(0)
    for (const command of ["daemon", "publish", "broker", "check"]) expect(generated.stdout).toContain(command)
    expect(generated.stdout).toMatch(shell === "fish" ? /-l secret-file/ : /--secret-file/)
  })
})
