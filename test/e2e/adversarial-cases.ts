/**
 * The hostile messages of the adversarial suite (security.md, issue 3), as tables of
 * payload × placement × channel, each with the outcome the daemon must reach.
 */
import { createHmac } from "node:crypto"
import type { Stage as PipelineStage } from "../../src/decide/pipeline.js"

/** The channels of the daemon under test (see the config in adversarial.test.ts). */
export type Channel = "Plain" | "Shell" | "Text" | "Signed" | "Filtered"

/** The stages a decision names in the log (all but "channel", which never logs a rejection). */
export type Stage = Exclude<PipelineStage, "channel">

export type PayloadClass =
  | "metachar"
  | "substitution"
  | "option"
  | "control"
  | "bidi"
  | "lookalike"
  | "overlong"
  | "keys"
  | "signature"
  | "envelope"
  | "replay"
  | "origin"
  | "ignoreip"
  | "types"
  | "order"
  | "framing"
  | "render"

export type Expected =
  /** Runs once; `argv` is what the recorder receives after its own path, byte for byte. */
  | { readonly outcome: "executed"; readonly argv: ReadonlyArray<string> }
  /**
   * One `rejected at <stage>` line; `key=<key>` on it when given; `reason` matched against its text.
   * `publishRefuses`: `f2bc publish --host` finds the problem itself (a control character, a leading "-",
   * an `ip` that is no address) and refuses the message with exit 2 instead of sending it.
   */
  | { readonly outcome: "rejected"; readonly stage: Stage; readonly key?: string; readonly reason?: RegExp; readonly publishRefuses?: true }
  | { readonly outcome: "skipped"; readonly stage: "duplicate" | "origin" }
  /** The broker drops the announce: it breaks the message rules (NUL, CR) — seen in `info`. */
  | { readonly outcome: "dropped-by-broker" }
  /** The broker's line bound drops the request line of `bytes` bytes (its log says so). */
  | { readonly outcome: "overlong-at-broker"; readonly bytes: number }
  /** The daemon's line bound (max_line_bytes) drops the delivery of `bytes` bytes (its log says so). */
  | { readonly outcome: "overlong-at-daemon"; readonly bytes: number }
  /** `f2bc publish` refuses it with exit 2 before sending anything. */
  | { readonly outcome: "refused" }

export interface RawCase {
  readonly id: string
  readonly cls: PayloadClass
  readonly title: string
  readonly channel: Channel
  /** The message bytes written after `announce <channel> ` (a string is written as UTF-8); a `\n` follows. */
  readonly text: string | Buffer
  /** Appears in the decision's log line (the message annotation) when the message carries one. */
  readonly marker: string | undefined
  readonly expected: Expected
}

export interface PublishCase {
  readonly id: string
  readonly cls: PayloadClass
  readonly title: string
  readonly channel: Channel
  /** The `-m` argument. */
  readonly message: string
  readonly secret: "right" | "wrong" | "none"
  readonly nodeName: string
  readonly marker: string | undefined
  readonly expected: Expected
}

export interface CaseContext {
  /** Absolute path prefix of the sentinel files a successful injection would create. */
  readonly sentinel: string
  readonly secret: Uint8Array
  readonly wrongSecret: Uint8Array
  readonly nowS: number
  /** A fresh 32-hex-digit `_id`. */
  readonly newId: () => string
  readonly maxLineBytes: number
  readonly brokerMaxLineBytes: number
}

export const NODE_NAME = "daemon-under-test"
export const OTHER_NODE = "other-node"

// ---------------------------------------------------------------------------
// Signatures, computed here independently of src/trust (security.md).

/** base64url(HMAC-SHA256(secret, `<channel>!<text>`)) */
export const sign = (secret: Uint8Array, channel: string, text: string): string =>
  createHmac("sha256", secret).update(`${channel}!${text}`, "utf8").digest("base64url")

export const signed = (secret: Uint8Array, channel: string, text: string): string =>
  `${text}, _sig=${sign(secret, channel, text)}`

const envelope = (ctx: CaseContext, origin = OTHER_NODE, ts = ctx.nowS, id = ctx.newId()): string =>
  `_id=${id}, _ts=${ts}, _origin=${origin}`

// ---------------------------------------------------------------------------
// The rules the expectations follow, restated from protocol.md/security.md and issue 3.

/** Control characters (C0, DEL, C1), line separators and bidi formatting characters: refused in every value. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
/** How a types rejection names a forbidden character: "contains a control character U+001B at position 0" (or a line separator, a bidi formatting character). */
const FORBIDDEN_REASON = /contains an? [a-z ]+ U\+[0-9A-F]{4} at position \d+/
/** Values are trimmed of spaces and tabs only (protocol.md). */
const trimBlanks = (text: string): string => text.replace(/^[ \t]+|[ \t]+$/g, "")
/** `name`: [A-Za-z0-9_.-]+, not starting with "-", at most 255. */
const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/
const KEY = /^[A-Za-z0-9_.-]+$/

const executed = (argv: ReadonlyArray<string>): Expected => ({ outcome: "executed", argv })
const rejected = (stage: Stage, key?: string, reason?: RegExp): Expected =>
  key === undefined
    ? reason === undefined ? { outcome: "rejected", stage } : { outcome: "rejected", stage, reason }
    : reason === undefined ? { outcome: "rejected", stage, key } : { outcome: "rejected", stage, key, reason }
/** A types rejection `f2bc publish --host` already refuses: it checks every value universally and `ip` by type. */
const refusedByPublish = (expected: Expected): Expected => ({ ...expected, publishRefuses: true }) as Expected
const skipped = (stage: "duplicate" | "origin"): Expected => ({ outcome: "skipped", stage })

/** argv of `Plain` and `Signed`: `%jail% %ip% %note%`. */
const plainArgv = (jail: string, ip: string, note: string) => [jail, ip, note]
/** argv of `Shell`: every quoting context, then `%jail% "%ip%" %_msg%`. */
export const shellArgv = (note: string, jail: string, ip: string, body: string) => [
  note,
  note,
  note,
  `x${note}y`,
  `a ${note} b`,
  `a ${note} b`,
  jail,
  ip,
  body
]
/** argv of `Text`: `%_msg% "%_msg%" '%_msg%' "%_channel%"`. */
export const textArgv = (body: string) => [body, body, body, "Text"]

/**
 * The outcome for a message whose pairs are all clean but for `value` under
 * `key` (typed `type`), given the argv it runs with when the value passes.
 */
const valueOutcome = (
  key: string,
  type: "text" | "name" | "ip",
  value: string,
  argv: (trimmed: string) => ReadonlyArray<string>
): Expected => {
  if (value.includes(",")) return rejected("grammar", undefined, /has no "="/)
  const trimmed = trimBlanks(value)
  if (FORBIDDEN.test(trimmed)) return refusedByPublish(rejected("types", key, FORBIDDEN_REASON))
  // Only a tab can be trimmed off and still be a control character: the message text carries it.
  if (FORBIDDEN.test(value)) return refusedByPublish(rejected("types", "_msg", FORBIDDEN_REASON))
  if (trimmed.startsWith("-")) return refusedByPublish(rejected("types", key, /starts with "-"/))
  if (type === "name" && !NAME.test(trimmed)) return rejected("types", key, /is not a name/)
  if (type === "ip") return refusedByPublish(rejected("types", key, /is not an IP address/))
  return executed(argv(trimmed))
}

/** The outcome for a plain-text message (no "="): `%_msg%` is the whole text. */
const plainTextOutcome = (text: string, argv: (body: string) => ReadonlyArray<string>): Expected => {
  if (trimBlanks(text) === "") return rejected("grammar", undefined, /empty/)
  if (FORBIDDEN.test(text)) return refusedByPublish(rejected("types", "_msg", FORBIDDEN_REASON))
  if (text.startsWith("-")) return refusedByPublish(rejected("types", "_msg", /starts with "-"/))
  return executed(argv(text))
}

// ---------------------------------------------------------------------------
// Payloads. `S` is the sentinel prefix: a working injection creates a file starting with it.

interface Payload {
  readonly cls: PayloadClass
  readonly text: string
}

const payloads = (S: string): ReadonlyArray<Payload> => {
  const p = (cls: PayloadClass, texts: ReadonlyArray<string>): Array<Payload> => texts.map((text) => ({ cls, text }))
  return [
    ...p("metachar", [
      `;touch ${S}-semi`,
      `a; touch ${S}-semi2`,
      `|touch ${S}-pipe`,
      `&touch ${S}-amp`,
      `&& touch ${S}-and`,
      `|| touch ${S}-or`,
      `>${S}-gt`,
      `<${S}-lt`,
      `>>${S}-append`,
      `$HOME`,
      `\\`,
      `a\\;touch ${S}-bs`,
      `!!`,
      `*`,
      `?`,
      `[a-z]*`,
      `~`,
      `~root`,
      `#x; touch ${S}-hash`,
      `{touch,${S}-brace}`,
      `(touch ${S}-paren)`,
      `)`,
      `a b  c`,
      `'`,
      `"`,
      `'"'"'`,
      `x;y|z&w>v<u`,
      `touch ${S}-newword`
    ]),
    ...p("substitution", [
      `$(touch ${S}-dollar)`,
      `\`touch ${S}-backquote\``,
      `"$(touch ${S}-dq)"`,
      `'$(touch ${S}-sq)'`,
      `$'\\x41'`,
      `\${IFS}`,
      `$((1+1))`,
      `;touch\${IFS}${S}-ifs`,
      `$(touch\${IFS}${S}-ifs2)`,
      `"; touch ${S}-dqsemi; "`,
      `'; touch ${S}-sqsemi; '`,
      `'"$(touch ${S}-mixed)"'`,
      `\${1}`,
      `$1`,
      `$@`,
      `"$2"`,
      `$0`,
      `%ip%`,
      `%%`,
      `%_msg%`,
      `$(<${S}-read)`,
      `<(touch ${S}-procsub)`,
      `\${x:-$(touch ${S}-default)}`,
      `\`touch ${S}-bq2\`$(touch ${S}-bq3)`,
      `touch SENTINEL-relative; $(touch SENTINEL-relative2)`
    ]),
    ...p("option", [
      `--help`,
      `-rf`,
      `--output=${S}-out`,
      `-`,
      `--`,
      `-e touch ${S}-e`,
      ` -x`,
      `-1`
    ]),
    ...p("control", [
      "\u001b[31mred",
      "a\u001b]0;title\u0007",
      "bell\u0007",
      "back\u0008space",
      "vt\u000bff\u000c",
      "a\tb",
      "del\u007f",
      "nel\u0085",
      "csi\u009b31m",
      "dcs\u0090",
      "ls\u2028ps\u2029",
      "\u0001start"
    ]),
    ...p("bidi", [
      "a\u202ecod.exe",
      "lre\u202a",
      "rle\u202b",
      "pdf\u202c",
      "lro\u202d",
      "lri\u2066x\u2069",
      "fsi\u2068",
      "lrm\u200e",
      "rlm\u200f",
      "alm\u061c"
    ]),
    ...p("lookalike", [
      "\u2010rf",
      "\uff1btouch " + S + "-fullwidth",
      "\uff04(touch " + S + "-fwdollar)",
      "\u0455\u0455\u04bbd",
      "zero\u200bwidth",
      "bom\ufeff",
      "nb\u00a0sp",
      "\u2212x",
      "\ufe63x"
    ])
  ]
}

// ---------------------------------------------------------------------------

const IP = "192.0.2.7"

/** Raw-socket cases; ids are assigned in order. */
export const rawCases = (ctx: CaseContext): ReadonlyArray<RawCase> => {
  const S = ctx.sentinel
  const out: Array<Omit<RawCase, "id" | "marker">> = []
  // Every pair message starts with `c=<id>`: the marker that ties a log line to its case.
  const M = "\u0000MARK\u0000"
  const add = (cls: PayloadClass, title: string, channel: Channel, text: string | Buffer, expected: Expected) =>
    out.push({ cls, title, channel, text, expected })

  // Payload × placement × channel.
  for (const { cls, text: v } of payloads(S)) {
    const noteText = `c=${M}, jail=sshd, ip=${IP}, note=${v}`
    add(cls, `note=${JSON.stringify(v)} (no shell)`, "Plain", noteText, valueOutcome("note", "text", v, (t) => plainArgv("sshd", IP, t)))
    add(cls, `note=${JSON.stringify(v)} (shell, every quoting context)`, "Shell", noteText, valueOutcome("note", "text", v, (t) => shellArgv(t, "sshd", IP, noteText)))
    add(cls, `jail=${JSON.stringify(v)}`, "Plain", `c=${M}, jail=${v}, ip=${IP}, note=n`, valueOutcome("jail", "name", v, () => []))
    if (cls !== "lookalike") add(cls, `ip=${JSON.stringify(v)}`, "Plain", `c=${M}, jail=sshd, ip=${v}, note=n`, valueOutcome("ip", "ip", v, () => []))
    if (!v.includes("=")) add(cls, `plain text ${JSON.stringify(v)} (shell)`, "Text", v, plainTextOutcome(v, textArgv))
    if (!v.includes("=") && !v.includes(",") && (cls === "metachar" || cls === "substitution" || cls === "option")) {
      const key = trimBlanks(v)
      const expected = !KEY.test(key)
        ? rejected("grammar", undefined, /bad key/)
        : key.startsWith("_")
        ? rejected("grammar", key, /reserved key/)
        : executed(plainArgv("sshd", IP, "k"))
      add(cls, `key ${JSON.stringify(v)}`, "Plain", `c=${M}, ${v}=1, jail=sshd, ip=${IP}, note=k`, expected)
    }
    if (cls !== "metachar" || v.includes("touch")) {
      const unsigned = `c=${M}, jail=sshd, ip=${IP}, note=${v}, ${envelope(ctx)}`
      add(cls, `note=${JSON.stringify(v)} signed`, "Signed", unsigned, valueOutcome("note", "text", v, (t) => plainArgv("sshd", IP, t)))
    }
  }

  // Over-long values around the two line bounds: the daemon's max_line_bytes, the broker's 64 KiB.
  {
    const prefix = `c=${M}, jail=sshd, ip=${IP}, note=`
    const markerBytes = 4 // ids are "r" + 3 digits
    const base = Buffer.byteLength(`Plain!${prefix}`) - Buffer.byteLength(M) + markerBytes
    const fill = (bytes: number, unit = "A") => unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)))
    const atLimit = fill(ctx.maxLineBytes - base)
    add("overlong", `delivery of exactly max_line_bytes (${ctx.maxLineBytes}) bytes`, "Plain", prefix + atLimit, executed(plainArgv("sshd", IP, atLimit)))
    add("overlong", `delivery of max_line_bytes + 1 bytes`, "Plain", prefix + fill(ctx.maxLineBytes - base + 1), {
      outcome: "overlong-at-daemon",
      bytes: ctx.maxLineBytes + 1
    })
    const wide = fill(ctx.maxLineBytes - base + 2, "\u00e9")
    add("overlong", `${wide.length} two-byte characters: fewer characters than the bound, more bytes`, "Plain", prefix + wide, {
      outcome: "overlong-at-daemon",
      bytes: base + Buffer.byteLength(wide)
    })
    const announceBase = Buffer.byteLength(`announce Plain ${prefix}`) - Buffer.byteLength(M) + markerBytes
    add("overlong", "request line of exactly the broker's bound: passes the broker, the daemon drops it", "Plain", prefix + fill(ctx.brokerMaxLineBytes - announceBase), {
      outcome: "overlong-at-daemon",
      // "announce Plain <text>" is delivered as "Plain!<text>".
      bytes: ctx.brokerMaxLineBytes - "announce ".length
    })
    add("overlong", "request line one byte over the broker's bound", "Plain", prefix + fill(ctx.brokerMaxLineBytes - announceBase + 1), {
      outcome: "overlong-at-broker",
      bytes: ctx.brokerMaxLineBytes + 1
    })
    add("overlong", "a 1 MiB request line", "Plain", prefix + fill(1_048_576 - announceBase), { outcome: "overlong-at-broker", bytes: 1_048_576 })
    add("overlong", "jail of 255 characters (the longest name)", "Plain", `c=${M}, jail=${"j".repeat(255)}, ip=${IP}, note=n`, executed(plainArgv("j".repeat(255), IP, "n")))
    add("overlong", "jail of 256 characters", "Plain", `c=${M}, jail=${"j".repeat(256)}, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
    const longNote = `$(touch ${S}-long)`.repeat(150)
    add("overlong", "a long note of command substitutions", "Shell", `c=${M}, jail=sshd, ip=${IP}, note=${longNote}`, executed(shellArgv(longNote, "sshd", IP, `c=${M}, jail=sshd, ip=${IP}, note=${longNote}`)))
  }

  // Framing: NUL, CR and LF on the raw wire, and bytes that are not UTF-8.
  {
    const msg = (note: string) => `c=${M}, jail=sshd, ip=${IP}, note=${note}`
    add("framing", "NUL inside a value", "Plain", msg("a\u0000b"), { outcome: "dropped-by-broker" })
    add("framing", "NUL in a plain text", "Text", "a\u0000; touch " + S + "-nul", { outcome: "dropped-by-broker" })
    add("framing", "CR inside a value", "Plain", msg("a\rb"), { outcome: "dropped-by-broker" })
    add("framing", "two CRs before the newline (one is the line's CRLF)", "Plain", msg("a\r\r"), { outcome: "dropped-by-broker" })
    add("framing", "one CR before the newline ends the line as CRLF", "Plain", msg("crlf\r"), executed(plainArgv("sshd", IP, "crlf")))
    add("framing", "LF ends the line: the rest is a separate (garbage) request", "Plain", msg(`head\n; touch ${S}-lf`), executed(plainArgv("sshd", IP, "head")))
    add("framing", "LF then a forged announce on an unconfigured channel", "Plain", msg("first\nannounce Nowhere jail=x"), executed(plainArgv("sshd", IP, "first")))
    const bytes = (note: Buffer) => Buffer.concat([Buffer.from(msg("a")), note])
    const decode = (b: Buffer) => new TextDecoder().decode(b)
    for (const [title, tail] of [
      ["invalid UTF-8 bytes FF FE", Buffer.from([0xff, 0xfe])],
      ["overlong UTF-8 encoding of ';' (C0 BB)", Buffer.from([0xc0, 0xbb])],
      ["a UTF-16 surrogate encoded in UTF-8 (ED A0 80)", Buffer.from([0xed, 0xa0, 0x80])],
      ["a truncated UTF-8 sequence (E2 80)", Buffer.from([0xe2, 0x80, 0x62])]
    ] as const) {
      add("framing", title, "Plain", bytes(tail), executed(plainArgv("sshd", IP, "a" + decode(tail))))
    }
    add("framing", "overlong UTF-8 encoding of NUL (C0 80)", "Plain", bytes(Buffer.from([0xc0, 0x80])), executed(plainArgv("sshd", IP, "a\ufffd\ufffd")))
  }

  // Duplicate and reserved keys, key syntax, grammar.
  {
    const k = (title: string, text: string, expected: Expected, channel: Channel = "Plain") => add("keys", title, channel, text, expected)
    k("duplicate jail", `c=${M}, jail=sshd, ip=${IP}, jail=apache, note=n`, rejected("grammar", "jail", /duplicate key "jail"/))
    k("duplicate ip", `c=${M}, jail=sshd, ip=${IP}, note=n, ip=192.0.2.8`, rejected("grammar", "ip", /duplicate key "ip"/))
    k("duplicate note", `c=${M}, jail=sshd, ip=${IP}, note=a, note=$(touch ${S}-dup)`, rejected("grammar", "note", /duplicate key "note"/))
    k("duplicate after trimming the key", `c=${M}, jail=sshd, ip=${IP}, note=n,  jail =x`, rejected("grammar", "jail", /duplicate key "jail"/))
    k("duplicate marker key", `c=${M}, c=again, jail=sshd, ip=${IP}, note=n`, rejected("grammar", "c", /duplicate key "c"/))
    k("duplicate on the shell channel", `c=${M}, jail=sshd, ip=${IP}, note=a, note=b`, rejected("grammar", "note", /duplicate key "note"/), "Shell")
    k("duplicate _id", `c=${M}, jail=sshd, ip=${IP}, note=n, _id=${ctx.newId()}, _id=${ctx.newId()}`, rejected("grammar", "_id", /duplicate key "_id"/))
    k("keys differ by case", `c=${M}, Jail=apache, jail=sshd, ip=${IP}, note=n`, executed(plainArgv("sshd", IP, "n")))
    for (const reserved of ["_msg", "_channel", "_x", "__proto__", "_ID", "_sig_", "_"]) {
      k(`reserved key ${reserved}`, `c=${M}, jail=sshd, ip=${IP}, note=n, ${reserved}=x`, rejected("grammar", reserved, /reserved key/))
    }
    k("reserved _msg on the shell channel", `c=${M}, _msg=$(touch ${S}-msg), jail=sshd, ip=${IP}, note=n`, rejected("grammar", "_msg", /reserved key/), "Shell")
    k("reserved _channel on the text channel", `_channel=x`, rejected("grammar", "_channel", /reserved key/), "Text")
    for (const key of ["constructor", "toString", "hasOwnProperty", "prototype", "valueOf"]) {
      k(`key ${key} (no prototype lookups)`, `c=${M}, ${key}=1, jail=sshd, ip=${IP}, note=n`, executed(plainArgv("sshd", IP, "n")))
    }
    k("a part without =", `c=${M}, jail=sshd, ip=${IP}, note=n, rm -rf /`, rejected("grammar", undefined, /has no "="/))
    k("an empty key", `c=${M}, =x, jail=sshd, ip=${IP}, note=n`, rejected("grammar", undefined, /bad key/))
    k("a key with a space", `c=${M}, ja il=x, jail=sshd, ip=${IP}, note=n`, rejected("grammar", undefined, /bad key/))
    k("a value that starts with =", `c=${M}, jail=sshd, ip=${IP}, note==x`, executed(plainArgv("sshd", IP, "=x")))
    k("empty parts are ignored", `c=${M},, jail=sshd,,, ip=${IP}, note=n,`, executed(plainArgv("sshd", IP, "n")))
    k("a blank message", "   ", rejected("grammar", undefined, /empty/), "Text")
    k("a tab trimmed off a value is still in the message text", `c=${M}, jail=sshd, ip=${IP}, note=\tx`, rejected("types", "_msg", /a control character U\+0009/))
    k("a message without the key the action uses", `c=${M}, jail=sshd, ip=${IP}`, rejected("render", "note", /no key "note"/))
    k("plain text where the action needs keys", `ban ${IP} now`, rejected("render", "jail", /no key "jail"/), "Plain")
  }

  // Values of the wrong type.
  {
    const t = (title: string, pairs: string, expected: Expected) => add("types", title, "Plain", `c=${M}, ${pairs}`, expected)
    for (const ip of [
      "999.1.1.1", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "127.1",
      "1.2.3.4/32", "[::1]", "fe80::1%eth0", "localhost", "", "1.2.3.4 5.6.7.8", "::ffff:1.2.3.4.5", "1:2:3:4:5:6:7:8:9"
    ]) {
      t(`ip=${JSON.stringify(ip)}`, `jail=sshd, ip=${ip}, note=n`, rejected("types", "ip", /is not an IP address/))
    }
    for (const port of ["12a", "1e3", "0x10", "+1", "12.0", "\u0661\u0662", "99999999999999999999", "", "1 2", "--1"]) {
      t(`port=${JSON.stringify(port)}`, `jail=sshd, ip=${IP}, port=${port}, note=n`, rejected("types", "port", /is not an integer/))
    }
    t("port=-5 (an int may be negative)", `jail=sshd, ip=${IP}, port=-5, note=n`, executed(plainArgv("sshd", IP, "n")))
    t("port=65535", `jail=sshd, ip=${IP}, port=65535, note=n`, executed(plainArgv("sshd", IP, "n")))
    for (const jail of ["-x", "a b", "a/b", "../etc", "ssh:d", "ssh@d", ""]) {
      t(`jail=${JSON.stringify(jail)}`, `jail=${jail}, ip=${IP}, note=n`, rejected("types", "jail", jail.startsWith("-") ? /starts with "-"/ : /is not a name/))
    }
    t(`jail=".." (a valid name)`, `jail=.., ip=${IP}, note=n`, executed(plainArgv("..", IP, "n")))
    t("ip=::ffff:192.0.2.7 (IPv4-mapped)", `jail=sshd, ip=::ffff:192.0.2.7, note=n`, executed(plainArgv("sshd", "::ffff:192.0.2.7", "n")))
    t("ip=2001:db8::7", `jail=sshd, ip=2001:db8::7, note=n`, executed(plainArgv("sshd", "2001:db8::7", "n")))
    t("ip with spaces around it is trimmed", `jail=sshd, ip=  192.0.2.9  , note=n`, executed(plainArgv("sshd", "192.0.2.9", "n")))
    t("a tab around ip is trimmed from the value, not from the message text", `jail=sshd, ip=\t192.0.2.9, note=n`, rejected("types", "_msg", /a control character U\+0009/))
  }

  // Unicode look-alikes where a type applies.
  {
    const l = (title: string, pairs: string, expected: Expected) => add("lookalike", title, "Plain", `c=${M}, ${pairs}`, expected)
    l("fullwidth digits in ip", `jail=sshd, ip=\uff11\uff19\uff12.\uff10.\uff12.\uff17, note=n`, rejected("types", "ip", /is not an IP address/))
    l("one fullwidth digit in ip", `jail=sshd, ip=192.0.2.\uff17, note=n`, rejected("types", "ip", /is not an IP address/))
    l("Arabic-Indic digits in ip", `jail=sshd, ip=\u0661\u0669\u0662.0.2.7, note=n`, rejected("types", "ip", /is not an IP address/))
    l("fullwidth full stops in ip", `jail=sshd, ip=192\uff0e0\uff0e2\uff0e7, note=n`, rejected("types", "ip", /is not an IP address/))
    l("Cyrillic letters in jail", `jail=\u0455\u0455\u04bbd, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
    l("U+2010 hyphen in jail", `jail=\u2010x, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
    l("fullwidth letters in jail", `jail=\uff53\uff53\uff48\uff44, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
    l("U+2010 hyphen in port", `jail=sshd, ip=${IP}, port=\u20105, note=n`, rejected("types", "port", /is not an integer/))
  }

  // ignoreip (default 127.0.0.1/8 and ::1).
  {
    const i = (ip: string, expected: Expected, channel: Channel = "Plain") =>
      add("ignoreip", `ip=${ip} on ${channel}`, channel, `c=${M}, jail=sshd, ip=${ip}, note=n`, expected)
    for (const ip of ["127.0.0.1", "127.255.0.1", "127.0.0.0", "127.255.255.255", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001"]) {
      i(ip, rejected("ignoreip", "ip", /is in ignoreip/))
    }
    i("127.0.0.1", rejected("ignoreip", "ip", /is in ignoreip/), "Shell")
    for (const ip of ["128.0.0.1", "126.255.255.255", "::2"]) i(ip, executed(plainArgv("sshd", ip, "n")))
    add("ignoreip", "ip=127.0.0.1 signed", "Signed", `c=${M}, jail=sshd, ip=127.0.0.1, note=n, ${envelope(ctx)}`, rejected("ignoreip", "ip", /is in ignoreip/))
  }

  // Envelope syntax, on an unsigned channel.
  {
    const e = (title: string, env: string, expected: Expected) => add("envelope", title, "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, ${env}`, expected)
    const id = "0123456789abcdef0123456789abcdef"
    e("_id not hex", `_id=${"z".repeat(32)}`, rejected("envelope", "_id", /_id must be/))
    e("_id upper-case hex", `_id=${id.toUpperCase()}`, rejected("envelope", "_id", /_id must be/))
    e("_id of 31 digits", `_id=${id.slice(1)}`, rejected("envelope", "_id", /_id must be/))
    e("_id empty", `_id=`, rejected("envelope", "_id", /_id must be/))
    e("_id with a substitution", `_id=$(touch ${S}-id)`, rejected("envelope", "_id", /_id must be/))
    e("_ts not digits", `_ts=abc`, rejected("envelope", "_ts", /_ts must be/))
    e("_ts negative", `_ts=-1`, rejected("envelope", "_ts", /_ts must be/))
    e("_ts in exponent form", `_ts=1e9`, rejected("envelope", "_ts", /_ts must be/))
    e("_ts of 14 digits", `_ts=99999999999999`, rejected("envelope", "_ts", /_ts must be/))
    e("_origin starting with -", `_origin=-x`, rejected("envelope", "_origin", /_origin must be/))
    e("_origin with a semicolon", `_origin=a;touch ${S}-origin`, rejected("envelope", "_origin", /_origin must be/))
    e("_origin empty", `_origin=`, rejected("envelope", "_origin", /_origin must be/))
    e("_sig too short", `_sig=abc`, rejected("envelope", "_sig", /_sig must be/))
    e("an old _ts on an unsigned channel (no skew check without a secret)", `_ts=1`, executed(plainArgv("sshd", IP, "n")))
  }

  // Replays and copies (dedupe), on unsigned channels.
  {
    const id = ctx.newId()
    const r = (title: string, channel: Channel, text: string, expected: Expected) => add("replay", title, channel, text, expected)
    r("a message with an _id", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=first, _id=${id}`, executed(plainArgv("sshd", IP, "first")))
    r("the same _id again, other content", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=$(touch ${S}-replay), _id=${id}`, skipped("duplicate"))
    const sameId = `c=${M}, jail=sshd, ip=${IP}, note=other-channel, _id=${id}`
    r("the same _id on another channel", "Shell", sameId, executed(shellArgv("other-channel", "sshd", IP, `c=${M}, jail=sshd, ip=${IP}, note=other-channel`)))
    r("a message without _id", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=again`, executed(plainArgv("sshd", IP, "again")))
    r("the same message without _id again: not deduplicated", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=again`, executed(plainArgv("sshd", IP, "again")))
  }

  // Own origin.
  {
    const o = (title: string, channel: Channel, text: string, expected: Expected) => add("origin", title, channel, text, expected)
    o("own _origin, unsigned", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=$(touch ${S}-own), _origin=${NODE_NAME}`, skipped("origin"))
    o("own _origin with blanks around it", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, _origin= ${NODE_NAME} `, skipped("origin"))
    o("own _origin, signed", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=n, ${envelope(ctx, NODE_NAME)}`, skipped("origin"))
    o("an _origin that differs in case", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, _origin=Daemon-Under-Test`, executed(plainArgv("sshd", IP, "n")))
  }

  // Signatures on the signed channel.
  {
    const base = (note = "sig", env = envelope(ctx)) => `c=${M}, jail=sshd, ip=${IP}, note=${note}, ${env}`
    const s = (title: string, text: string, expected: Expected) => add("signature", title, "Signed", text, expected)
    s("a valid signature", base("valid"), executed(plainArgv("sshd", IP, "valid")))
    s("_sig missing", `RAW:${base()}`, rejected("signature", "_sig", /_sig is missing/))
    s("signed with another key", `WRONG:${base()}`, rejected("signature", "_sig", /does not match/))
    s("signed for another channel", `CHANNEL:Plain:${base()}`, rejected("signature", "_sig", /does not match/))
    for (const [title, from, to] of [
      ["jail", "jail=sshd", "jail=sshe"],
      ["ip", `ip=${IP}`, "ip=192.0.2.8"],
      ["note", "note=sig", "note=siG"],
      ["_origin", `_origin=${OTHER_NODE}`, "_origin=other-nodf"],
      ["a blank", ", jail=", ",  jail="],
      ["the marker", "c=", "C="]
    ] as const) {
      s(`tampered: one byte of ${title} changed after signing`, `TAMPER:${from}:${to}:${base()}`, rejected("signature", "_sig", /does not match/))
    }
    s("tampered: one hex digit of _id", `TAMPER-ID:${base()}`, rejected("signature", "_sig", /does not match/))
    s("tampered: _ts one second later", `TAMPER-TS:${base()}`, rejected("signature", "_sig", /does not match/))
    s("tampered: one character of _sig", `TAMPER-SIG:${base()}`, rejected("signature", "_sig", /does not match/))
    s("tampered: _sig with a character outside base64url", `SIG-PLUS:${base()}`, rejected("envelope", "_sig", /_sig must be/))
    s("_sig truncated to 42 characters", `SIG-SHORT:${base()}`, rejected("envelope", "_sig", /_sig must be/))
    s("_sig padded with =", `SIG-PAD:${base()}`, rejected("envelope", "_sig", /_sig must be/))
    s("_sig not the last pair", `NOT-LAST:${base()}`, rejected("signature", "_sig", /must be the last pair/))
    s("a pair appended after a valid _sig", `APPEND:, x=1:${base()}`, rejected("signature", "_sig", /must be the last pair/))
    s("a trailing comma after a valid _sig", `APPEND:,:${base()}`, rejected("signature", "_sig", /must be the last pair/))
    s("a trailing blank after a valid _sig", `APPEND: :${base()}`, rejected("signature", "_sig", /must be the last pair/))
    s("\",_sig=\" without the space", `NO-SPACE:${base()}`, rejected("signature", "_sig", /must be the last pair/))
    s("two _sig pairs", `TWICE:${base()}`, rejected("grammar", "_sig", /duplicate key "_sig"/))
    s("an old _ts, validly signed", base("old", envelope(ctx, OTHER_NODE, ctx.nowS - 1000)), rejected("timestamp", "_ts", /behind/))
    s("a future _ts, validly signed", base("future", envelope(ctx, OTHER_NODE, ctx.nowS + 1000)), rejected("timestamp", "_ts", /ahead of/))
    s("a _ts 60 s old (within max_skew)", base("skew-ok", envelope(ctx, OTHER_NODE, ctx.nowS - 60)), executed(plainArgv("sshd", IP, "skew-ok")))
    s("_id missing, validly signed", base("noid", `_ts=${ctx.nowS}, _origin=${OTHER_NODE}`), rejected("envelope", "_id", /_id is missing/))
    s("_ts missing, validly signed", base("nots", `_id=${ctx.newId()}, _origin=${OTHER_NODE}`), rejected("envelope", "_ts", /_ts is missing/))
    s("_origin missing, validly signed", base("noorigin", `_id=${ctx.newId()}, _ts=${ctx.nowS}`), executed(plainArgv("sshd", IP, "noorigin")))
    s("a plain-text message", `RAW:ban ${IP}`, rejected("envelope", "_id", /_id is missing/))
    s("signed over other whitespace", `RESPACE:${base()}`, rejected("signature", "_sig", /does not match/))
    const replayed = base("replayed")
    s("a valid message", replayed, executed(plainArgv("sshd", IP, "replayed")))
    s("the same bytes again (replay)", `SAME-AS-PREVIOUS:${replayed}`, skipped("duplicate"))
    const id = ctx.newId()
    s("a tampered message with a fresh _id", `TAMPER:note=retry:note=retrx:${base("retry", envelope(ctx, OTHER_NODE, ctx.nowS, id))}`, rejected("signature", "_sig", /does not match/))
    s("the valid message with that _id runs (a rejected message does not use up its _id)", base("retry", envelope(ctx, OTHER_NODE, ctx.nowS, id)), executed(plainArgv("sshd", IP, "retry")))
  }

  // The filter (configuration.md) compares exactly: look-alikes of an allowed value do not pass.
  {
    const f = (title: string, value: string, expected: Expected) =>
      add("lookalike", `filter: action=${title}`, "Filtered", `c=${M}, action=${value}, ip=${IP}`, expected)
    f("banip", "banip", executed(["banip", IP]))
    f("banip with blanks around it", "  banip ", executed(["banip", IP]))
    f("BANIP", "BANIP", rejected("filter", undefined, /is not one of/))
    f("ban\u0456p (Cyrillic i)", "ban\u0456p", rejected("filter", undefined, /is not one of/))
    f("banip\u200b (zero-width space)", "banip\u200b", rejected("filter", undefined, /is not one of/))
    f("\uff42anip (fullwidth b)", "\uff42anip", rejected("filter", undefined, /is not one of/))
    add("lookalike", "filter: no action key", "Filtered", `c=${M}, ip=${IP}`, rejected("filter", undefined, /key "action" is missing/))
  }

  // Order of the checks (issue 3): the first failing stage is the one reported.
  {
    const o = (title: string, channel: Channel, text: string, expected: Expected) => add("order", title, channel, text, expected)
    o("grammar before signature", "Signed", `WRONG:c=${M}, _x=1, jail=sshd, ip=${IP}, note=n, ${envelope(ctx)}`, rejected("grammar", "_x", /reserved key/))
    o("envelope before signature", "Signed", `WRONG:c=${M}, jail=sshd, ip=${IP}, note=n, _id=nothex, _ts=${ctx.nowS}`, rejected("envelope", "_id", /_id must be/))
    o("signature before types", "Signed", `WRONG:c=${M}, jail=-x, ip=${IP}, note=n, ${envelope(ctx)}`, rejected("signature", "_sig", /does not match/))
    o("signature before timestamp", "Signed", `WRONG:c=${M}, jail=sshd, ip=${IP}, note=n, ${envelope(ctx, OTHER_NODE, 1)}`, rejected("signature", "_sig", /does not match/))
    o("signature before ignoreip", "Signed", `WRONG:c=${M}, jail=sshd, ip=127.0.0.1, note=n, ${envelope(ctx)}`, rejected("signature", "_sig", /does not match/))
    o("timestamp before origin", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=n, ${envelope(ctx, NODE_NAME, ctx.nowS - 1000)}`, rejected("timestamp", "_ts", /behind/))
    o("origin before types", "Plain", `c=${M}, jail=-x, ip=${IP}, note=n, _origin=${NODE_NAME}`, skipped("origin"))
    o("types before ignoreip", "Plain", `c=${M}, jail=-x, ip=127.0.0.1, note=n`, rejected("types", "jail", /starts with "-"/))
    o("ignoreip before render", "Plain", `c=${M}, jail=sshd, ip=::1`, rejected("ignoreip", "ip", /is in ignoreip/))
    o("the first bad value in message order is named", "Plain", `c=${M}, ip=1.2.3.4.5, jail=-x, note=n`, rejected("types", "ip", /is not an IP address/))
  }

  // Ids, then the marker and the signing directives resolved.
  return out.map((c, i): RawCase => {
    const id = `r${String(i).padStart(3, "0")}`
    const resolve = (text: string): string => text.split(M).join(id)
    const text = typeof c.text === "string"
      ? finishSigned(ctx, c.channel, resolve(c.text), i)
      : Buffer.from(resolve(c.text.toString("latin1")), "latin1")
    const expected = c.expected.outcome === "executed" ? executed(c.expected.argv.map(resolve)) : c.expected
    return { id, cls: c.cls, title: c.title, channel: c.channel, text, marker: markerOf(typeof text === "string" ? text : text.toString("latin1")), expected }
  })
}

/** The case id a message carries as its first pair (`c=r012`), if any. */
export const markerOf = (text: string): string | undefined => /^[cC]=([rp][0-9]{3}),/.exec(text)?.[1]

/** The signed text of the case before, for an exact replay. */
const lastSigned = new Map<number, string>()

/**
 * Signs a message for the signed channel, applying the attack its prefix
 * names (RAW: unsigned; WRONG: another key; TAMPER:from:to: one change after
 * signing; …). Messages on other channels pass through.
 */
const finishSigned = (
  ctx: CaseContext,
  channel: Channel,
  text: string,
  index: number
): string => {
  if (channel !== "Signed") return text
  const directive = /^([A-Z-]+):/.exec(text)
  const rest = directive === null ? text : text.slice(directive[0].length)
  const good = (t: string) => signed(ctx.secret, "Signed", t)
  const sigOf = (t: string) => sign(ctx.secret, "Signed", t)
  let result: string
  switch (directive?.[1]) {
    case undefined:
      result = good(rest)
      break
    case "RAW":
      result = rest
      break
    case "WRONG":
      result = signed(ctx.wrongSecret, "Signed", rest)
      break
    case "CHANNEL": {
      const [other, ...body] = rest.split(":")
      result = signed(ctx.secret, other!, body.join(":"))
      break
    }
    case "TAMPER": {
      const [from, to, ...body] = rest.split(":")
      const whole = good(body.join(":"))
      if (!whole.includes(from!)) throw new Error(`tamper target ${from} not in ${whole}`)
      result = whole.replace(from!, to!)
      break
    }
    case "TAMPER-ID":
      result = good(rest).replace(/_id=([0-9a-f])/, (_, d: string) => `_id=${d === "0" ? "1" : "0"}`)
      break
    case "TAMPER-TS":
      result = good(rest).replace(/_ts=(\d+)/, (_, d: string) => `_ts=${Number(d) + 1}`)
      break
    case "TAMPER-SIG": {
      const sig = sigOf(rest)
      const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1)
      result = `${rest}, _sig=${flipped}`
      break
    }
    case "SIG-PLUS":
      result = `${rest}, _sig=+${sigOf(rest).slice(1)}`
      break
    case "SIG-SHORT":
      result = `${rest}, _sig=${sigOf(rest).slice(0, 42)}`
      break
    case "SIG-PAD":
      result = `${rest}, _sig=${sigOf(rest)}=`
      break
    case "NOT-LAST": {
      // The signature of the text without its note, then the note after it.
      const at = rest.indexOf(", note=")
      const end = rest.indexOf(",", at + 1)
      const note = rest.slice(at, end)
      const without = rest.slice(0, at) + rest.slice(end)
      result = `${without}, _sig=${sigOf(without)}${note}`
      break
    }
    case "APPEND": {
      const [suffix, ...body] = rest.split(":")
      result = good(body.join(":")) + suffix
      break
    }
    case "NO-SPACE":
      result = `${rest},_sig=${sigOf(rest)}`
      break
    case "TWICE":
      result = `${rest}, _sig=${sigOf(rest)}, _sig=${sigOf(rest)}`
      break
    case "RESPACE":
      result = `${rest}, _sig=${sigOf(rest.replace(/, /g, ","))}`
      break
    case "SAME-AS-PREVIOUS": {
      const previous = lastSigned.get(index - 1)
      if (previous === undefined) throw new Error("SAME-AS-PREVIOUS needs a signed case just before it")
      result = previous
      break
    }
    default:
      throw new Error(`unknown directive ${directive?.[1]}`)
  }
  lastSigned.set(index, result)
  return result
}

// ---------------------------------------------------------------------------
// Through `f2bc publish`: it appends the envelope (and the signature with --secret-file).

/** `%_msg%` of a published pair message: its pairs printed canonically, the envelope left out (configuration.md). */
const canonical = (message: string): string =>
  message
    .split(",")
    .map(trimBlanks)
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=")
      return `${trimBlanks(part.slice(0, eq))}=${trimBlanks(part.slice(eq + 1))}`
    })
    .join(", ")

/** The bytes `f2bc publish` appends: `, _id=<32 hex>, _ts=<10 digits>, _origin=<node>`. */
export const envelopeBytes = (origin: string): number => ", _id=".length + 32 + ", _ts=".length + 10 + ", _origin=".length + origin.length

export const publishCases = (ctx: CaseContext): ReadonlyArray<PublishCase> => {
  const S = ctx.sentinel
  const M = "\u0000MARK\u0000"
  const out: Array<Omit<PublishCase, "id" | "marker">> = []
  const add = (
    cls: PayloadClass,
    title: string,
    channel: Channel,
    message: string,
    expected: Expected,
    options: { readonly secret?: PublishCase["secret"]; readonly nodeName?: string } = {}
  ) =>
    out.push({
      cls,
      title,
      channel,
      message,
      expected,
      secret: options.secret ?? (channel === "Signed" ? "right" : "none"),
      nodeName: options.nodeName ?? OTHER_NODE
    })

  // Payloads, each in two of the four placements.
  const chosen: ReadonlyArray<readonly [PayloadClass, string, ReadonlyArray<"plain" | "shell" | "text" | "signed">]> = [
    ["metachar", `;touch ${S}-p-semi`, ["plain", "shell"]],
    ["metachar", `>${S}-p-gt`, ["text"]],
    ["metachar", `'"'"'`, ["signed"]],
    ["metachar", `* ? [a] ~ # !`, ["shell"]],
    ["substitution", `$(touch ${S}-p-dollar)`, ["plain", "shell", "text"]],
    ["substitution", `\`touch ${S}-p-bq\``, ["signed"]],
    ["substitution", `'; touch ${S}-p-sq; '`, ["shell"]],
    ["substitution", `"$(touch ${S}-p-dq)"`, ["signed"]],
    ["substitution", `\${IFS}$((1+1))$'\\x41'`, ["shell"]],
    ["substitution", `%ip% %% \${1}`, ["shell"]],
    ["option", `--help`, ["plain", "text"]],
    ["option", `-rf`, ["signed"]],
    ["control", "\u001b[31mred", ["plain"]],
    ["control", "nel\u0085", ["signed"]],
    ["control", "a\tb", ["shell"]],
    ["bidi", "a\u202ecod.exe", ["shell"]],
    ["bidi", "lri\u2066x", ["signed"]],
    ["lookalike", "\u2010rf", ["plain"]],
    ["lookalike", "\uff1btouch " + S + "-p-fw", ["text"]]
  ]
  for (const [cls, v, placements] of chosen) {
    for (const placement of placements) {
      const note = `c=${M}, jail=sshd, ip=${IP}, note=${v}`
      switch (placement) {
        case "plain":
          add(cls, `note=${JSON.stringify(v)} (no shell)`, "Plain", note, valueOutcome("note", "text", v, (t) => plainArgv("sshd", IP, t)))
          break
        case "shell":
          add(cls, `note=${JSON.stringify(v)} (shell)`, "Shell", note, valueOutcome("note", "text", v, (t) => shellArgv(t, "sshd", IP, canonical(note))))
          break
        case "text":
          add(cls, `plain text ${JSON.stringify(v)} (shell)`, "Text", v, plainTextOutcome(v, textArgv))
          break
        case "signed":
          add(cls, `note=${JSON.stringify(v)} signed`, "Signed", note, valueOutcome("note", "text", v, (t) => plainArgv("sshd", IP, t)))
          break
      }
    }
  }

  const refused: Expected = { outcome: "refused" }
  // What the grammar or the wire rejects is refused before anything is sent.
  add("keys", "duplicate key", "Plain", `c=${M}, jail=sshd, jail=apache, ip=${IP}, note=n`, refused)
  add("keys", "reserved key _msg", "Shell", `c=${M}, _msg=$(touch ${S}-p-msg), jail=sshd, ip=${IP}, note=n`, refused)
  add("keys", "reserved key _x", "Plain", `c=${M}, _x=1, jail=sshd, ip=${IP}, note=n`, refused)
  add("keys", "a key with a substitution", "Plain", `c=${M}, $(touch ${S}-p-key)=1, jail=sshd, ip=${IP}, note=n`, refused)
  add("keys", "a part without =", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, rm -rf /`, refused)
  add("envelope", "an envelope pair written by the user", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, _id=${ctx.newId()}`, refused)
  add("envelope", "a forged own _origin written by the user", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=n, _origin=${NODE_NAME}`, refused)
  add("framing", "CR in the message", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=a\rb`, refused)
  add("framing", "LF in the message", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=a\nannounce Plain jail=x`, refused)
  add("signature", "a plain-text message on a signed channel", "Signed", `ban ${IP}`, refused)

  // Trust.
  add("signature", "signed channel, no --secret-file", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=n`, rejected("signature", "_sig", /_sig is missing/), { secret: "none" })
  add("signature", "signed channel, the wrong --secret-file", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=n`, rejected("signature", "_sig", /does not match/), { secret: "wrong" })
  add("signature", "signed channel, the right --secret-file", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=signed`, executed(plainArgv("sshd", IP, "signed")))
  add("origin", "--node-name of the daemon itself", "Plain", `c=${M}, jail=sshd, ip=${IP}, note=$(touch ${S}-p-own)`, skipped("origin"), { nodeName: NODE_NAME })
  add("origin", "--node-name of the daemon itself, signed", "Signed", `c=${M}, jail=sshd, ip=${IP}, note=n`, skipped("origin"), { nodeName: NODE_NAME })
  add("ignoreip", "ip=127.0.0.1", "Plain", `c=${M}, jail=sshd, ip=127.0.0.1, note=n`, rejected("ignoreip", "ip", /is in ignoreip/))
  add("ignoreip", "ip=::ffff:127.0.0.1 signed", "Signed", `c=${M}, jail=sshd, ip=::ffff:127.0.0.1, note=n`, rejected("ignoreip", "ip", /is in ignoreip/))
  add("ignoreip", "ip=::1 (shell)", "Shell", `c=${M}, jail=sshd, ip=::1, note=n`, rejected("ignoreip", "ip", /is in ignoreip/))
  add("types", "ip=999.1.1.1: publish checks ip itself", "Plain", `c=${M}, jail=sshd, ip=999.1.1.1, note=n`, refused)
  add("types", "port=12a (typed only in the daemon's config)", "Plain", `c=${M}, jail=sshd, ip=${IP}, port=12a, note=n`, rejected("types", "port", /is not an integer/))
  add("types", "jail=-x: publish refuses a leading - itself", "Signed", `c=${M}, jail=-x, ip=${IP}, note=n`, refused)
  add("types", "jail=a/b (typed only in the daemon's config)", "Signed", `c=${M}, jail=a/b, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
  add("lookalike", "fullwidth digits in ip: publish checks ip itself", "Plain", `c=${M}, jail=sshd, ip=\uff11\uff19\uff12.0.2.7, note=n`, refused)
  add("lookalike", "Cyrillic letters in jail", "Shell", `c=${M}, jail=\u0455\u0455\u04bbd, ip=${IP}, note=n`, rejected("types", "jail", /is not a name/))
  add("render", "a message without the key the action uses", "Plain", `c=${M}, jail=sshd, ip=${IP}`, rejected("render", "note", /no key "note"/))
  {
    const message = `c=${M}, jail=sshd, ip=${IP}, note=${"L".repeat(ctx.maxLineBytes)}`
    add("overlong", "a message over the daemon's max_line_bytes", "Plain", message, {
      outcome: "overlong-at-daemon",
      bytes: Buffer.byteLength(`Plain!${message}`) - Buffer.byteLength(M) + 4 + envelopeBytes(OTHER_NODE)
    })
  }

  return out.map((c, i): PublishCase => {
    const id = `p${String(i).padStart(3, "0")}`
    const resolve = (text: string): string => text.split(M).join(id)
    const expected = c.expected.outcome === "executed"
      ? executed(c.expected.argv.map(resolve))
      : c.expected.outcome === "rejected" && c.expected.publishRefuses === true
      ? refused
      : c.expected
    const message = resolve(c.message)
    return { ...c, id, message, marker: markerOf(message), expected }
  })
}

