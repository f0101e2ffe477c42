// Lenient readers for the numbers found in Flussonic configs, which arrive as JSON numbers or as
// strings ("2M", "64k", "25"). Anything unreadable is `undefined`, so callers fall back to defaults.

// Bitrates and every other number are read by the same functions as Central's transcoder limits
// (protocol/src/stream.ts), so a setting the limits cannot read never reaches ffmpeg either.
import { readNumber } from '@central/protocol';
export { parseBitrate } from '@central/protocol';

/** A positive integer (from a number or a numeric string), else undefined. */
export function positiveInt(v: unknown): number | undefined {
  const n = readNumber(v);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A positive finite number (from a number or a numeric string), else undefined. */
export function positiveNumber(v: unknown): number | undefined {
  const n = readNumber(v);
  return n !== undefined && n > 0 ? n : undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
