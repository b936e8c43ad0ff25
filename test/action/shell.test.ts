/**
 * configuration.md `shell: true`: the action is a /bin/sh script whose placeholders
 * become quoted positional references; values travel only as arguments.
 * The end-to-end cases run the rendered argv with the real /bin/sh.
 */
import { existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { randomUUID } from "node:crypto"
import { describe, expect, it } from "vitest"
import { SCRIPT_NAME, SHELL, wordCount } from "../../src/action/index.js"
import { compile, compileError, context, render, run } from "./helpers.js"

const script = (source: string): string => {
  const body = compile(source, true).body
  if (body._tag !== "Script") throw new Error("expected a script")
  return body.script
}

describe("configuration.md shell: the script and its arguments", () => {
  it("renders to /bin/sh -c SCRIPT f2bc V1 V2 ... with one positional per distinct name, in first-use order", () => {
    const template = compile("fail2ban-client set %jail% %action% %ip%; logger %ip%", true)
    expect(template.placeholders).toEqual(["jail", "action", "ip"])
    expect(render(template, context({ jail: "sshd", action: "banip", ip: "192.0.2.7" }))).toEqual([
      SHELL,
      "-c",
      "fail2ban-client set \"${1}\" \"${2}\" \"${3}\"; logger \"${3}\"",
      SCRIPT_NAME,
      "sshd",
      "banip",
      "192.0.2.7"
    ])
    expect([SHELL, SCRIPT_NAME]).toEqual(["/bin/sh", "f2bc"])
    expect(wordCount(template)).toBe(7)
  })

  it("the reference fits the quoting context: outside \"${N}\", in \"...\" ${N}, in '...' '\"${N}\"'", () => {
    expect(script("echo %a% \"<%a%>\" '<%a%>'")).toBe("echo \"${1}\" \"<${1}>\" '<'\"${1}\"'>'")
  })

  it("%% becomes % in the script (printf '%%s' is printf '%s')", () => {
    expect(script("printf '%%s\\n' 100%%")).toBe("printf '%s\\n' 100%")
  })

  it("shell syntax is allowed outside quotes in shell mode", () => {
    expect(script("a %x% | b && c; d > /dev/null 2>&1 < /dev/null & (e) $HOME `f`")).toBe(
      "a \"${1}\" | b && c; d > /dev/null 2>&1 < /dev/null & (e) $HOME `f`"
    )
  })

  it("a backslash before a placeholder cannot escape the reference's quote or $", () => {
    expect(script("echo \\%a% \"\\%a%\" '\\%a%'")).toBe("echo \"${1}\" \"\\\\${1}\" '\\'\"${1}\"''")
  })

  it("a comment (# at the start of a word) is copied as it stands; its quotes and placeholders do not count", () => {
    const template = compile("echo %a% # it's %b%\necho x#%c%", true)
    expect(template.placeholders).toEqual(["a", "c"])
    expect(script("echo %a% # it's %b%\necho x#%c%")).toBe("echo \"${1}\" # it's %b%\necho x#\"${2}\"")
  })

  it("a placeholder after a closed substitution is back in its surrounding context", () => {
    expect(script("echo \"$(date) %a%\" $(true) %a% `true` ${HOME} %a%")).toBe(
      "echo \"$(date) ${1}\" $(true) \"${1}\" `true` ${HOME} \"${1}\""
    )
  })

  it("a single quote inside \"${...}\" is literal, as in sh", () => {
    expect(script("echo \"${x:-'}\" %a%")).toBe("echo \"${x:-'}\" \"${1}\"")
  })
})

describe("configuration.md shell: placeholders whose context cannot be known are refused", () => {
  it.each([
    ["echo $(echo %a%)", 12, "$("],
    ["echo \"$(echo %a%)\"", 13, "$("],
    ["echo $(echo $(echo x) %a%)", 22, "$("],
    ["echo `echo %a%`", 11, "backquoted"],
    ["echo \"`echo %a%`\"", 12, "backquoted"],
    ["echo ${x:-%a%}", 10, "${"],
    ["echo \"${x:-%a%}\"", 11, "${"],
    ["echo $((1 + %a%))", 12, "$("],
    ["((%a% > 1)) && echo", 2, "(("],
    ["echo $'%a%'", 7, "$'"],
    ["echo $%a%", 6, "directly after \"$\""],
    ["echo \"$%a%\"", 7, "directly after \"$\""],
    ["cat <<EOF\n%a%\nEOF", 10, "here-document"],
    ["cat <<'EOF'\n%a%\nEOF", 12, "here-document"],
    ["echo $'it\\'s' %a%", 14, "$'"]
  ])("PlaceholderInSubstitution: %j at column %i (%s)", (source, column, where) => {
    const error = compileError(source, true)
    expect(error.reason).toBe("PlaceholderInSubstitution")
    expect(error.column).toBe(column)
    expect(error.message).toContain(where)
  })

  it("substitutions without placeholders are fine", () => {
    expect(script("echo $(hostname) `date` ${HOME:-/} $((1+2)) %a%")).toBe(
      "echo $(hostname) `date` ${HOME:-/} $((1+2)) \"${1}\""
    )
  })
})

describe("configuration.md shell: other refused scripts", () => {
  it.each([
    ["echo 'a", 5, "single quote"],
    ["echo \"a", 5, "double quote"],
    ["echo \"a\\\"", 5, "double quote"],
    ["echo $(a", 5, "$("],
    ["echo \"$(a\"", 9, "double quote"],
    ["echo `a", 5, "backquoted"],
    ["echo ${a", 5, "${"],
    ["echo $'a", 5, "$'"]
  ])("UnterminatedQuote: %j at column %i (%s)", (source, column, what) => {
    const error = compileError(source, true)
    expect(error.reason).toBe("UnterminatedQuote")
    expect(error.column).toBe(column)
    expect(error.message).toContain(what)
  })

  it("TrailingBackslash", () => {
    const error = compileError("echo a\\", true)
    expect(error.reason).toBe("TrailingBackslash")
    expect(error.column).toBe(6)
  })

  it("Empty", () => {
    expect(compileError(" \n\t", true).reason).toBe("Empty")
  })

  it("BadPlaceholder", () => {
    const error = compileError("printf '%s\\n' x", true)
    expect(error.reason).toBe("BadPlaceholder")
    expect(error.column).toBe(8)
  })
})

describe("configuration.md shell, end to end with /bin/sh: values never word-split, glob or execute", () => {
  const hostile = [
    "a  b\tc",
    "*",
    "/*",
    "$(id)",
    "`id`",
    "'; id; '",
    "\"; id; \"",
    "${HOME}",
    "$1 $2",
    "\\",
    "\\'",
    "-n",
    "a\nb",
    "",
    "é 😀 \u{10FFFF}"
  ]

  it.each(hostile)("value %j arrives verbatim outside quotes, in \"...\", in '...' and mixed", (value) => {
    const template = compile("printf '%%s\\n' %v% \"%v%\" '%v%' x\"%v%\"y'%v%'z \"a %v% b\" 'a %v% b'", true)
    expect(run(render(template, context({ v: value })))).toBe(
      [value, value, value, `x${value}y${value}z`, `a ${value} b`, `a ${value} b`].map((line) => `${line}\n`).join("")
    )
  })

  it("a value that would run a command runs nothing", () => {
    const marker = join(tmpdir(), `f2bc-pwned-${randomUUID()}`)
    const values = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `"; touch ${marker}; "`]
    for (const value of values) {
      const template = compile("printf '%%s\\n' %v% \"%v%\" '%v%'", true)
      expect(run(render(template, context({ v: value })))).toBe(`${value}\n${value}\n${value}\n`)
    }
    expect(existsSync(marker)).toBe(false)
  })

  it("positionals from 10 on work (${10}, not $10)", () => {
    const names = Array.from({ length: 12 }, (_, k) => `k${k}`)
    const template = compile(`printf '%%s\\n' ${names.map((name) => `%${name}%`).join(" ")}`, true)
    const fields = Object.fromEntries(names.map((name, k) => [name, `value ${k}`]))
    expect(run(render(template, context(fields)))).toBe(names.map((_, k) => `value ${k}\n`).join(""))
  })

  it("a backslash before a placeholder keeps its sh meaning: dropped outside quotes, literal in \"...\" and '...'", () => {
    const template = compile("printf '%%s\\n' \\%v% \"\\%v%\" '\\%v%'", true)
    expect(run(render(template, context({ v: "$x" })))).toBe("$x\n\\$x\n\\$x\n")
  })

  it("_msg and _channel reach the script as arguments too", () => {
    const template = compile("printf '%%s|%%s\\n' %_channel% \"%_msg%\"", true)
    expect(run(render(template, context({}, "ip=1.2.3.4; rm", "Fail2ban")))).toBe("Fail2ban|ip=1.2.3.4; rm\n")
  })
})
