// Lenient readers for the numbers found in Flussonic configs, which arrive as JSON numbers or as
// strings ("2M", "64k", "25"). Anything unreadable is `undefined`, so callers fall back to defaults.

/** Bit/s from a Flussonic bitrate (shared with Central's transcoder limits). */
export { parseBitrate } from '@central/protocol';

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
