/** Formatting shared by server and browser. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function relativeTime(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) return 'just now';
  if (seconds < 45) return 'just now';
  const steps: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [2_592_000, 'month'],
    [31_536_000, 'year'],
  ];
  let label = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const [size, name] = steps[i] as [number, string];
    if (seconds >= size) {
      const n = Math.round(seconds / size);
      label = `${n} ${name}${n === 1 ? '' : 's'} ago`;
      break;
    }
  }
  return label || 'just now';
}

export function formatDate(at: number | null): string {
  if (at === null) return '—';
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A cell value as text: SQL values can be null, numbers, strings, bigints or blobs. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `<blob ${value.byteLength} bytes>`;
  return JSON.stringify(value);
}
