// Lenient readers for the numbers found in Flussonic configs, which arrive as JSON numbers or as
// strings ("2M", "64k", "25"). Anything unreadable is `undefined`, so callers fall back to defaults.

/**
 * Bit/s from a Flussonic bitrate: an integer in bit/s (1000000), or a string with a k/M suffix
 * ("64k", "2M"). Small bare numbers (< 10000) are taken as kbit/s, the way Flussonic's own
 * examples write audio bitrates (96 = 96 kbit/s). "copy" and garbage give undefined.
 */
export function parseBitrate(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(v);
    if (!m) return undefined;
    const mult = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
    if (m[2] !== '') return Math.round(Number(m[1]) * mult);
    n = Number(m[1]);
  } else return undefined;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n < 10_000 ? n * 1000 : n);
}

/** A positive integer (from a number or a numeric string), else undefined. */
export function positiveInt(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A positive finite number (from a number or a numeric string), else undefined. */
export function positiveNumber(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
