/**
 * The JSON download's bytes, made a few hundred entries at a time as the client reads them:
 * exactly `JSON.stringify(value, null, 2)` plus a newline, for an object whose array members
 * hold flat objects, without one long formatting step for a whole list on the main thread
 * (a list at its limits is megabytes of JSON; every other tenant's requests would wait).
 */
export type JsonScalar = string | number | boolean | null;
export type JsonDocument = Readonly<Record<string, JsonScalar | readonly Readonly<Record<string, JsonScalar>>[]>>;

/** Array entries formatted per read of the stream. */
const ENTRIES_PER_CHUNK = 250;

export function prettyJsonStream(document: JsonDocument): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const parts = prettyJsonParts(document);
  return new ReadableStream({
    pull(controller) {
      const next = parts.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
}

function* prettyJsonParts(document: JsonDocument): Generator<string> {
  const keys = Object.keys(document);
  if (keys.length === 0) {
    yield '{}\n';
    return;
  }
  let text = '{\n';
  for (const [index, key] of keys.entries()) {
    const value = document[key] ?? null;
    const end = index === keys.length - 1 ? '\n' : ',\n';
    text += `  ${JSON.stringify(key)}: `;
    if (!Array.isArray(value) || value.length === 0) {
      text += `${JSON.stringify(value)}${end}`;
      continue;
    }
    const entries = value as readonly Readonly<Record<string, JsonScalar>>[];
    text += '[\n';
    for (let from = 0; from < entries.length; from += ENTRIES_PER_CHUNK) {
      text += entries
        .slice(from, from + ENTRIES_PER_CHUNK)
        .map((entry, i) => `    ${JSON.stringify(entry, null, 2).replaceAll('\n', '\n    ')}${from + i === entries.length - 1 ? '\n' : ',\n'}`)
        .join('');
      yield text;
      text = '';
    }
    text += `  ]${end}`;
  }
  yield `${text}}\n`;
}
