/**
 * security.md typed values: what each type (ip, cidr, int, name, text, /regex/)
 * accepts and refuses, the type specs a config may write, and the first-offender rules of checkFields/checkBody.
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import {
  checkBody,
  checkFields,
  DEFAULT_TYPES,
  describeValueType,
  NAME_MAX,
  parseValueType,
  valueProblem,
  type ValueRejection,
  type ValueType
} from "../../src/trust/index.js"
import { describeValueProblem } from "../../src/decide/rejection.js"
import { forbiddenKind } from "./forbidden.js"

/** A refusal as `{ key, value, problem }` with the problem as the log phrases it. */
const shown = (rejection: ValueRejection | undefined) =>
  rejection === undefined ? undefined : { key: rejection.key, value: rejection.value, problem: describeValueProblem(rejection.problem) }

/** Why a value is refused, as the log phrases it (undefined when it is accepted). */
const problemText = (type: ValueType, value: string): string | undefined => {
  const problem = valueProblem(type, value)
  return problem === undefined ? undefined : describeValueProblem(problem)
}

const typeOf = (spec: string): ValueType =>
  Either.getOrElse(parseValueType(spec), (message) => {
    throw new Error(`expected ${spec} to be a type, got: ${message}`)
  })

const typeError = (spec: string): string =>
  Either.match(parseValueType(spec), {
    onLeft: (message) => message,
    onRight: () => {
      throw new Error(`expected ${spec} to be refused`)
    }
  })

const accepts = (spec: string, values: ReadonlyArray<string>): void => {
  const type = typeOf(spec)
  for (const value of values) expect([value, problemText(type, value)]).toEqual([value, undefined])
}

const refuses = (spec: string, values: ReadonlyArray<string>, problem: string): void => {
  const type = typeOf(spec)
  for (const value of values) expect([value, problemText(type, value)]).toEqual([value, problem])
}

describe("security.md typed values: ip (the default type of the key ip)", () => {
  it("the default types give ip the type ip, ban_until the type int, and nothing else", () => {
    expect([...DEFAULT_TYPES]).toEqual([["ip", { _tag: "ip" }], ["ban_until", { _tag: "int" }]])
  })

  it("accepts IPv4, IPv6 in any spelling node:net accepts, and IPv4-mapped IPv6", () => {
    accepts("ip", [
      "192.0.2.7",
      "0.0.0.0",
      "255.255.255.255",
      "2001:db8::1",
      "2001:0db8:0000:0000:0000:0000:0000:0001",
      "::",
      "::1",
      "::ffff:192.0.2.7",
      "::ffff:c000:207",
      "fe80::1"
    ])
  })

  it("refuses a range, leading zeros, short or numeric forms, host names and the empty value", () => {
    refuses(
      "ip",
      ["192.0.2.0/24", "01.2.3.4", "192.0.2.007", "1.2.3", "127.1", "2130706433", "0x7f.0.0.1", "256.1.1.1",
        "::ffff:010.0.0.1", "example.com", "", "1.2.3.4 ", " 1.2.3.4", "2001:db8:::1", "1:2:3:4:5:6:7:8:9"],
      "is not an IP address"
    )
  })

  it("refuses an IPv6 zone id (fe80::1%eth0 names an interface of the sender)", () => {
    refuses("ip", ["fe80::1%eth0", "fe80::1%1", "::1%lo"], "is not an IP address")
  })
})

describe("security.md typed values: cidr", () => {
  it("accepts an address or address/prefix within the family's bounds", () => {
    accepts("cidr", ["192.0.2.0/24", "192.0.2.7", "192.0.2.7/32", "0.0.0.0/0", "2001:db8::/32", "::/0", "::1/128",
      "::ffff:10.0.0.0/104"])
  })

  it("refuses prefixes out of range, with leading zeros or signs, and malformed ranges", () => {
    refuses(
      "cidr",
      ["192.0.2.0/33", "2001:db8::/129", "192.0.2.0/024", "192.0.2.0/+8", "192.0.2.0/", "192.0.2.0/24/1",
        "192.0.2.0 /24", "192.0.2.0/ 24", "/24", "01.2.3.0/24", "fe80::%eth0/64", "fe80::/64%eth0", "example.com/8", ""],
      "is not an IP address or range (address/prefix)"
    )
  })
})

describe("security.md typed values: int", () => {
  it("accepts decimal integers, negative ones included (the one type a leading - may start)", () => {
    accepts("int", ["0", "7", "42", "-1", "-42", "999999999999999999"])
  })

  it("refuses leading zeros, signs other than -, fractions, exponents, hex, blanks and over-long numbers", () => {
    refuses("int", ["007", "+1", "1.5", "1e3", "0x10", "", "-", "--1", "1 ", " 1", "9999999999999999999"], "is not an integer")
  })
})

describe("security.md typed values: name ([A-Za-z0-9_.-]+, not starting with -)", () => {
  it("accepts jail-like names up to NAME_MAX characters", () => {
    accepts("name", ["sshd", "nginx-http-auth", "a.b_c", "_x", "x-", "0", "a".repeat(NAME_MAX)])
  })

  it("refuses other characters, the empty value and names longer than NAME_MAX", () => {
    refuses("name", ["a b", "a/b", "a;b", "$(id)", "é", "ssh\u0501", "", "a".repeat(NAME_MAX + 1)],
      `is not ${describeValueType({ _tag: "name" })}`)
  })

  it("refuses a leading - as option injection, before the name syntax", () => {
    refuses("name", ["-x", "--help"], `starts with "-" (it could pass as an option)`)
  })
})

describe("security.md typed values: text (every key without a type)", () => {
  it("accepts shell metacharacters and any printable unicode: the value only ever becomes one argv word", () => {
    accepts("text", ["$(reboot)", "`id`", "a b; rm -rf /", "'\"\\", "é🙂東", "x=y", "", " "])
  })

  it("refuses a leading -", () => {
    refuses("text", ["-rf", "--help", "-"], `starts with "-" (it could pass as an option)`)
  })
})

describe("security.md typed values: /regex/ matches the whole value", () => {
  it("anchors the pattern: a value must match from its first to its last character", () => {
    accepts("/[a-z]+/", ["abc"])
    refuses("/[a-z]+/", ["abc1", "1abc", "a c", ""], "is not a match of /[a-z]+/")
  })

  it("anchors an alternation as a whole (a|b does not accept ab)", () => {
    accepts("/sshd|nginx/", ["sshd", "nginx"])
    refuses("/sshd|nginx/", ["sshdx", "xnginx", "sshdnginx"], "is not a match of /sshd|nginx/")
  })

  it("keeps the flags i, s and u", () => {
    accepts("/[a-z]+/i", ["ABC", "aBc"])
    accepts("/\\p{Lu}+/u", ["ÉTÉ"])
    refuses("/\\p{Lu}+/u", ["été"], "is not a match of /\\p{Lu}+/u")
  })

  it("may contain / itself", () => {
    accepts("/[a-z]+/[a-z]+/", ["var/log"])
  })

  it("still refuses a leading - even where the pattern allows it", () => {
    refuses("/-?[0-9]+/", ["-5"], `starts with "-" (it could pass as an option)`)
    accepts("/-?[0-9]+/", ["5"])
  })

  it("a body that is not a pattern on its own cannot escape the anchoring group", () => {
    // ^(?:a)|(b)$ would accept anything that starts with a.
    expect(typeError("/a)|(b/")).toMatch(/^invalid regular expression \/a\)\|\(b\/: /)
    expect(typeError("/a)|(.*/")).toMatch(/^invalid regular expression /)
  })
})

describe("security.md type specs: parseValueType", () => {
  it("knows ip, cidr, int, name and text", () => {
    for (const spec of ["ip", "cidr", "int", "name", "text"]) expect(typeOf(spec)).toEqual({ _tag: spec })
  })

  it("refuses unknown names (case matters) with the list of types", () => {
    for (const spec of ["IP", "", "regex", "string", " ip", "ip "]) {
      expect(typeError(spec)).toBe(`unknown type ${JSON.stringify(spec)} (expected ip, cidr, int, name, text or /regex/)`)
    }
  })

  it("refuses flags other than i, s, u (g, y, m would change what matching means)", () => {
    for (const spec of ["/a/g", "/a/m", "/a/y", "/a/x"]) expect(typeError(spec)).toMatch(/^regex flags may only be i, s and u \(got "[gmyx]"\)/)
    expect(typeError("/a/ i")).toMatch(/^unknown type /)
  })

  it("refuses an empty pattern and an invalid one, naming it", () => {
    expect(typeError("//")).toBe("an empty /regex/ matches nothing but the empty value")
    expect(typeError("/(/")).toMatch(/^invalid regular expression \/\(\/: /)
    expect(typeError("/[a-/")).toMatch(/^invalid regular expression /)
  })

  it("describes every type for rejection messages", () => {
    expect(describeValueType(typeOf("ip"))).toBe("an IP address")
    expect(describeValueType(typeOf("cidr"))).toBe("an IP address or range (address/prefix)")
    expect(describeValueType(typeOf("int"))).toBe("an integer")
    expect(describeValueType(typeOf("name"))).toBe(`a name of letters, digits, "_", "." or "-" not starting with "-" (at most ${NAME_MAX})`)
    expect(describeValueType(typeOf("text"))).toBe("text")
    expect(describeValueType(typeOf("/x+/i"))).toBe("a match of /x+/i")
  })
})

describe("security.md universal rules: control characters and bidi formatting, for every type", () => {
  const forbidden = ["\u0000", "\u0001", "\u0007", "\t", "\u001b", "\u001f", "\u007f", "\u0080", "\u009b", "\u009f",
    "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069"]

  it("names the character and its position, whatever the type (even where the type would accept it)", () => {
    for (const spec of ["ip", "cidr", "int", "name", "text", "/[\\s\\S]*/s"]) {
      for (const c of forbidden) {
        const code = c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")
        expect(problemText(typeOf(spec), `ab${c}`)).toBe(`contains ${forbiddenKind(c.charCodeAt(0))} U+${code} at position 2`)
      }
    }
  })

  it("reports a control character before a leading - (the more serious problem)", () => {
    expect(problemText(typeOf("text"), "-\u001b[2J")).toBe("contains a control character U+001B at position 1")
  })

  it("accepts the characters just outside the forbidden ranges", () => {
    accepts("text", [" ", "~", "\u00a0", "\u061b", "\u061d", "\u200d", "\u2010", "\u2027", "\u202f", "\u2065", "\u206a"])
  })
})

describe("checkFields and checkBody", () => {
  const types = new Map<string, ValueType>([["ip", { _tag: "ip" }], ["port", { _tag: "int" }]])

  it("passes fields that all fit their types; keys without a type are text", () => {
    expect(shown(checkFields(new Map([["ip", "192.0.2.7"], ["port", "-1"], ["jail", "$(id)"]]), types))).toBeUndefined()
  })

  it("names the first offending field in message order, with its value and problem", () => {
    const fields = new Map([["jail", "sshd"], ["port", "x"], ["ip", "nope"]])
    expect(shown(checkFields(fields, types))).toEqual({ key: "port", value: "x", problem: "is not an integer" })
  })

  it("applies the leading - rule to untyped keys", () => {
    expect(shown(checkFields(new Map([["jail", "--help"]]), types))).toEqual({
      key: "jail",
      value: "--help",
      problem: `starts with "-" (it could pass as an option)`
    })
  })

  it("checkBody applies the universal rules to the whole text under the key _msg", () => {
    expect(shown(checkBody("banned 192.0.2.7"))).toBeUndefined()
    expect(shown(checkBody("-rf"))).toEqual({ key: "_msg", value: "-rf", problem: `starts with "-" (it could pass as an option)` })
    expect(shown(checkBody("a\u202eb"))).toEqual({ key: "_msg", value: "a\u202eb", problem: "contains a bidi formatting character U+202E at position 1" })
  })
})
