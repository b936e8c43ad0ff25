/**
 * Talking to fail2ban-server over its own socket, as fail2ban-client does (docs/fail2ban.md):
 * the pickle subset, the request and answer framing, and which actions go there. Pure: no I/O.
 */
export { FAIL2BAN_CLIENT, isFail2banClient, socketFor, withSocket } from "./command.js"
export { encodeStringList, renderValue, type PyValue } from "./pickle.js"
export { answerEnd, type Answer, CLOSE, closeRequest, encodeRequest, END, readAnswer } from "./protocol.js"
export { decodePickle, MAX_DEPTH } from "./unpickle.js"
