/** The trust stages (docs/security.md): envelope, signature, dedupe table, value types, ignoreip. */
export * from "./address.js"
export * from "./envelope.js"
export * from "./seen.js"
export * from "./signature.js"
export * from "./values.js"
