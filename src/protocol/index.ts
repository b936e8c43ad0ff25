/**
 * The fanout wire protocol (docs/protocol.md), pure: names, request encoding, frame
 * parsing and the bounded line splitter. Import from here.
 */
export {
  isReservedChannel,
  ProtocolError,
  RESERVED_CHANNELS,
  validateChannelName,
  validateMessageText
} from "./names.js"
export { encodeRequest, Request } from "./request.js"
export { type Frame, parseFrame } from "./frame.js"
export {
  bufferedBytes,
  flushSplitter,
  initialSplitter,
  type LineEvent,
  splitChunk,
  type SplitterState,
  splitLines
} from "./lineSplitter.js"
