/**
 * Lower case as SQLite folds identifiers: ASCII letters only. JavaScript's toLowerCase folds
 * more (the Kelvin sign K becomes k), which would make a name SQLite keeps apart from another
 * (`tasKs`, `tasks`) compare equal to it.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
