/**
 * The message grammar (docs/protocol.md): model, parser and canonical printer.
 * Pure: no I/O; the daemon and `f2bc publish` both parse through here.
 */
export { COMPUTED_KEYS, ENVELOPE_KEYS, MessageError } from "./message.js"
export type { Message, MessageErrorReason } from "./message.js"
export { parseMessage } from "./parse.js"
export { printPairs } from "./print.js"
