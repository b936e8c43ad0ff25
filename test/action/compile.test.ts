/**
 * configuration.md "No shell by default": how an action is split into argv words at
 * config load, and every reason it is refused (with its column).
 */
import { describe, expect, it } from "vitest"
import { wordCount } from "../../src/action/index.js"
import { compile, compileError, context, render } from "./helpers.js"

const words = (source: string, fields: Record<string, string> = {}): ReadonlyArray<string> =>
  render(compile(source), context(fields))

describe("configuration.md no shell: splitting an action into words", () => {
  it("splits at spaces and tabs, ignoring leading, trailing and repeated blanks", () => {
    expect(words("  fail2ban-client \t set\t\tsshd   banip 1.2.3.4  ")).toEqual([
      "fail2ban-client",
      "set",
      "sshd",
      "banip",
      "1.2.3.4"
    ])
  })

  it("keeps single-quoted text literal, blanks and backslashes included", () => {
    expect(words("echo 'a  b\\c \"d\"'")).toEqual(["echo", "a  b\\c \"d\""])
  })

  it("in double quotes, a backslash escapes only \" \\ $ and backtick; other backslashes stay", () => {
    expect(words("echo \"a\\\"b\\\\c\\$d\\`e\\nf\\'g\"")).toEqual(["echo", "a\"b\\c$d`e\\nf\\'g"])
  })

  it("outside quotes, \\x is a literal x (so \\| \\; \\$ \\space are plain characters)", () => {
    expect(words("echo a\\ b \\| \\; \\$HOME \\\\")).toEqual(["echo", "a b", "|", ";", "$HOME", "\\"])
  })

  it("a backslash-newline is removed, outside and inside double quotes, as in sh", () => {
    expect(words("echo a\\\nb \"c\\\nd\"")).toEqual(["echo", "ab", "cd"])
  })

  it("concatenates adjacent quoted and unquoted pieces into one word: a\"b c\"d is one word", () => {
    expect(words("echo a\"b c\"d 'e'\"f\"g")).toEqual(["echo", "ab cd", "efg"])
  })

  it("'' and \"\" alone make an empty word", () => {
    expect(words("echo '' \"\" x")).toEqual(["echo", "", "", "x"])
  })

  it("expands nothing: ~, *, ?, [..], {a,b}, #, = stay literal; $ and backtick stay literal inside quotes", () => {
    expect(words("ls ~ * ?.log [ab] {a,b} #c k=v \"$HOME\" '`id`' \"$(id)\"")).toEqual([
      "ls",
      "~",
      "*",
      "?.log",
      "[ab]",
      "{a,b}",
      "#c",
      "k=v",
      "$HOME",
      "`id`",
      "$(id)"
    ])
  })

  it("newlines and shell operators inside quotes are plain characters", () => {
    expect(words("printf '%%s\n|&;<>()' \"a\nb\"")).toEqual(["printf", "%s\n|&;<>()", "a\nb"])
  })

  it("wordCount is the number of words, fixed at compile time", () => {
    expect(wordCount(compile("fail2ban-client set %jail% %action% %ip%"))).toBe(5)
    expect(wordCount(compile("logger -t f2bc \"banned %ip% in %jail%\""))).toBe(4)
    expect(wordCount(compile("echo '' x"))).toBe(3)
  })
})

describe("configuration.md placeholders in the compiled words", () => {
  it("records the distinct placeholder names in first-use order", () => {
    expect(compile("cmd %b% %a% '%b%' \"x%_msg%\" %_channel% %a%").placeholders).toEqual([
      "b",
      "a",
      "_msg",
      "_channel"
    ])
  })

  it("accepts names made of letters, digits, _ . and -", () => {
    expect(compile("cmd %A-z_0.9%").placeholders).toEqual(["A-z_0.9"])
  })

  it("recognises placeholders outside quotes, in \"...\" and in '...' alike", () => {
    expect(words("cmd %ip% \"<%ip%>\" '<%ip%>'", { ip: "1.2.3.4" })).toEqual([
      "cmd",
      "1.2.3.4",
      "<1.2.3.4>",
      "<1.2.3.4>"
    ])
  })

  it("%% is a literal percent sign anywhere, including in the command name", () => {
    expect(words("100%% '%%s' \"%%\" a%%%ip%%%b", { ip: "X" })).toEqual(["100%", "%s", "%", "a%X%b"])
  })

  it("a backslash before % outside quotes is dropped: \\%ip% is the placeholder, \\%% is %", () => {
    expect(words("cmd \\%ip% \\%%", { ip: "X" })).toEqual(["cmd", "X", "%"])
  })

  it("a backslash before % inside quotes is a literal backslash", () => {
    expect(words("cmd \"\\%ip%\" '\\%ip%'", { ip: "X" })).toEqual(["cmd", "\\X", "\\X"])
  })
})

describe("configuration.md refused actions (TemplateError reason and 0-based column)", () => {
  it.each([
    ["", 0],
    ["   \t ", 0]
  ])("Empty: %j", (source, column) => {
    const error = compileError(source)
    expect(error.reason).toBe("Empty")
    expect(error.column).toBe(column)
    expect(error.source).toBe(source)
  })

  it("Empty: an empty command name ('' as the first word)", () => {
    const error = compileError("  '' x")
    expect(error.reason).toBe("Empty")
    expect(error.column).toBe(2)
  })

  it.each([
    ["echo 'abc", 5],
    ["echo \"abc", 5],
    ["echo \"a'b", 5],
    ["echo 'a\"b", 5],
    ["echo \"abc\\\"", 5],
    ["echo ok 'x' \"y", 12]
  ])("UnterminatedQuote: %j at column %i", (source, column) => {
    const error = compileError(source)
    expect(error.reason).toBe("UnterminatedQuote")
    expect(error.column).toBe(column)
    expect(error.message).toContain(`column ${column}`)
  })

  it("TrailingBackslash: a backslash at the very end", () => {
    const error = compileError("echo abc\\")
    expect(error.reason).toBe("TrailingBackslash")
    expect(error.column).toBe(8)
  })

  it.each(["|", "&", ";", "<", ">", "(", ")", "$", "`", "\n", "\r"])(
    "ShellSyntax: %j outside quotes is refused with its column, and accepted in '...' and \"...\"",
    (char) => {
      const source = `echo a b${char}c`
      const error = compileError(source)
      expect(error.reason).toBe("ShellSyntax")
      expect(error.column).toBe(8)
      expect(error.message).toContain(`uses shell syntax ${JSON.stringify(char)} at column 8 outside quotes`)
      expect(error.message).toContain("set \"shell: true\" on the channel to run the action through /bin/sh")
      expect(words(`echo a 'b${char}c'`)).toEqual(["echo", "a", `b${char}c`])
      expect(words(`echo a "b${char}c"`)).toEqual(["echo", "a", `b${char}c`])
    }
  )

  it("ShellSyntax: the message reads as one sentence naming the character and column", () => {
    expect(compileError("cmd %ip% | tee log").message).toBe(
      "action uses shell syntax \"|\" at column 9 outside quotes; quote it, or set \"shell: true\" on the channel to run the action through /bin/sh"
    )
  })

  it.each([
    ["cmd 100%", 7, "lone"],
    ["cmd 100% off", 7, "lone"],
    ["cmd %ip", 4, "unterminated"],
    ["cmd '%ip'", 5, "unterminated"],
    ["cmd %ip address%", 4, "unterminated"],
    ["cmd %/x%", 4, "lone"],
    // `%Y-%` reads as a placeholder named "Y-", so the error is at the last `%`: write `date +%%Y-%%m-%%d`.
    ["date +%Y-%m-%d", 12, "unterminated"]
  ])("BadPlaceholder: %j at column %i (%s), suggesting %%", (source, column, kind) => {
    const error = compileError(source)
    expect(error.reason).toBe("BadPlaceholder")
    expect(error.column).toBe(column)
    expect(error.detail).toContain(kind)
    expect(error.message).toContain("%%")
  })

  it.each([
    ["%cmd% arg", 0],
    ["/usr/bin/%cmd% arg", 9],
    ["  \"bin-%_msg%\" arg", 7],
    ["'%_channel%'", 1],
    ["\\%cmd% x", 1]
  ])("PlaceholderInCommand: %j at column %i (a message must never choose the program)", (source, column) => {
    const error = compileError(source)
    expect(error.reason).toBe("PlaceholderInCommand")
    expect(error.column).toBe(column)
  })

  it("reports the first problem in reading order", () => {
    expect(compileError("echo 'a' | %x").reason).toBe("ShellSyntax")
    expect(compileError("echo %x | 'a").reason).toBe("BadPlaceholder")
  })
})
