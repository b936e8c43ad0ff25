/**
 * The word a placeholder fills on its own: what `batch:` repeats once per message
 * (docs/configuration.md, batch). Pure: read from the compiled template.
 */
import * as Either from "effect/Either"
import type { CompiledTemplate, Word } from "./template.js"

const isAlone = (word: Word, name: string): boolean =>
  word.length === 1 && word[0]!._tag === "Placeholder" && word[0]!.name === name

const uses = (word: Word, name: string): boolean => word.some((segment) => segment._tag === "Placeholder" && segment.name === name)

/** A word as the config wrote it, placeholders included (`--ip=%ip%`). */
const shown = (word: Word): string => word.map((segment) => (segment._tag === "Literal" ? segment.text : `%${segment.name}%`)).join("")

/**
 * The index of the one argv word that `%name%` fills alone, or why there is none
 * (a clause whose subject is the placeholder, for a config error).
 */
export const soleWordOf = (template: CompiledTemplate, name: string): Either.Either<number, string> => {
  const body = template.body
  if (body._tag === "Script") return Either.left(`%${name}% cannot be batched in a shell: true action`)
  const used = body.words.flatMap((word, i) => (uses(word, name) ? [i] : []))
  if (used.length === 0) return Either.left(`%${name}% is not in the action; batch repeats the word it fills`)
  if (used.length > 1) return Either.left(`%${name}% is used in ${used.length} words of the action; batch repeats one word, so %${name}% must fill exactly one word`)
  const index = used[0]!
  const word = body.words[index]!
  if (!isAlone(word, name)) {
    return Either.left(`%${name}% must fill a whole word of the action on its own (as in "fail2ban-client set %jail% banip %${name}%"), not be part of the word ${JSON.stringify(shown(word))}`)
  }
  return Either.right(index)
}
