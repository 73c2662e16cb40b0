/**
 * "Did you mean" for instance names. A dozen lines of Levenshtein rather than a dependency:
 * it runs once, on an error path, over at most a few thousand short names.
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The names close to `wanted`, closest first (at most `max`): within a third of its length
 * in edits (at least one), or starting with it, so "acm" finds "acme" and "acme-staging".
 */
export function similarNames(wanted: string, names: Iterable<string>, max = 3): string[] {
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  const scored: { name: string; distance: number }[] = [];
  for (const name of names) {
    if (name === wanted) continue;
    const distance = editDistance(wanted, name);
    if (distance <= limit || (wanted.length >= 3 && name.startsWith(wanted))) scored.push({ name, distance });
  }
  scored.sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : 1));
  return scored.slice(0, max).map((entry) => entry.name);
}
