/**
 * The test oracle for security.md's forbidden characters: how a refusal names
 * each kind (written out here, independently of src/trust/values.ts).
 */
export const forbiddenKind = (code: number): string =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f)
    ? "a control character"
    : code === 0x2028 || code === 0x2029
    ? "a line separator"
    : "a bidi formatting character"
