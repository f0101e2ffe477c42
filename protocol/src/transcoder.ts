// Transcoder settings as the limits and the open streamer read them: one reader for every number and
// size (so nothing the check cannot read can run), and the bounds Central checks at save time and the
// streamer before it starts ffmpeg.

/**
 * Upper bounds of what a stream may ask a transcoder for, so that one stream config cannot take a
 * streamer's memory and CPU (an 8192x8192, 1000 fps encode is about 1 GB and a whole core for one
 * ffmpeg). Flussonic's OpenAPI declares no bounds for these fields; these are above any real stream:
 * 8K UHD (7680x4320), 120 fps, 200 Mbit/s of video, 2 Mbit/s of audio (PCM stereo is 1.5), 192 kHz,
 * 16 channels. Central refuses more at save time; the open streamer does not run it.
 */
export const TRANSCODER_LIMITS = Object.freeze({
  maxSide: 7680,
  maxPixels: 7680 * 4320,
  maxFps: 120,
  maxVideoBitrate: 200_000_000,
  maxAudioBitrate: 2_000_000,
  maxSampleRate: 192_000,
  maxChannels: 16,
});

/**
 * Bit/s from a Flussonic bitrate: an integer in bit/s (1000000), or a string with a k/M suffix
 * ("64k", "2M"). Small bare numbers (< 10000) are taken as kbit/s, the way Flussonic's own
 * examples write audio bitrates (96 = 96 kbit/s). "copy" and garbage give undefined.
 */
export function parseBitrate(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([kKmM]?)\s*$/.exec(v);
    if (!m) return undefined;
    const mult = { '': 1, k: 1e3, m: 1e6 }[m[2]!.toLowerCase() as '' | 'k' | 'm'];
    if (m[2] !== '') return Math.round(Number(m[1]) * mult);
    n = Number(m[1]);
  } else return undefined;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n < 10_000 ? n * 1000 : n);
}

/**
 * A number from a JSON number or a numeric string ("25", "30000/1001"); undefined otherwise. The one
 * reader of transcoder numbers: the limits below and the open streamer's ffmpeg arguments read a
 * setting the same way, so nothing the check cannot read can run.
 */
export function readNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const ratio = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(v);
  if (ratio) return Number(ratio[2]) > 0 ? Number(ratio[1]) / Number(ratio[2]) : undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Width and height of a Flussonic `size` ({width, height} or "WxH"), each as written (or absent). */
export function readSize(size: unknown): { width?: number; height?: number } {
  if (typeof size === 'string') {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(size);
    return m ? { width: Number(m[1]), height: Number(m[2]) } : {};
  }
  if (!isObject(size)) return {};
  const [width, height] = [readNumber(size.width), readNumber(size.height)];
  return { ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}

/** Why a Flussonic `size` is too large, or null. */
function sizeProblem(size: unknown): string | null {
  const L = TRANSCODER_LIMITS;
  const { width: w, height: h } = readSize(size);
  for (const [side, n] of [
    ['width', w],
    ['height', h],
  ] as const)
    if (n !== undefined && n > L.maxSide) return `${side} ${n} is above ${L.maxSide}`;
  if (w !== undefined && h !== undefined && w * h > L.maxPixels)
    return `${w}x${h} is more pixels than ${L.maxSide}x${L.maxPixels / L.maxSide}`;
  return null;
}

/** Problems of one video or audio settings object, as [field, reason]. */
function settingsProblem(o: Record<string, unknown>, kind: 'video' | 'audio'): [string, string] | null {
  const L = TRANSCODER_LIMITS;
  if (kind === 'video') {
    const size = sizeProblem(o.size);
    if (size) return ['size', size];
    const fps = readNumber(o.fps);
    if (fps !== undefined && fps > L.maxFps) return ['fps', `${fps} is above ${L.maxFps}`];
  }
  const max = kind === 'video' ? L.maxVideoBitrate : L.maxAudioBitrate;
  const bitrate = parseBitrate(o.bitrate);
  if (bitrate !== undefined && bitrate > max)
    return ['bitrate', `${bitrate} bit/s is above ${max} (${max / 1_000_000} Mbit/s)`];
  if (kind === 'audio' || 'sample_rate' in o || 'channels' in o) {
    const rate = readNumber(o.sample_rate);
    if (rate !== undefined && rate > L.maxSampleRate)
      return ['sample_rate', `${rate} is above ${L.maxSampleRate}`];
    const channels = readNumber(o.channels);
    if (channels !== undefined && channels > L.maxChannels)
      return ['channels', `${channels} is above ${L.maxChannels}`];
  }
  return null;
}

/**
 * The first transcoder setting above TRANSCODER_LIMITS, named as an API error names a field
 * (`/transcoder/video/0/size`, `transcoder.video[0].size: …`); null when every setting is within
 * them. Looks at `video[]`, `audio`, `tracks[]` and `global.fps`; other fields and shapes are left to
 * the schema and to the streamer.
 */
export function transcoderProblem(transcoder: unknown): { pointer: string; title: string } | null {
  if (!isObject(transcoder)) return null;
  const found = (path: (string | number)[], field: string, reason: string) => ({
    pointer: `/transcoder/${[...path, field].join('/')}`,
    title: `transcoder${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}.${field}: ${reason}`,
  });
  const lists: [string, 'video' | 'track'][] = [
    ['video', 'video'],
    ['tracks', 'track'],
  ];
  for (const [key, what] of lists) {
    const list = transcoder[key];
    if (!Array.isArray(list)) continue;
    for (const [i, item] of list.entries()) {
      if (!isObject(item)) continue;
      const kind = what === 'track' && item.content === 'audio' ? 'audio' : 'video';
      const p = settingsProblem(item, kind);
      if (p) return found([key, i], ...p);
    }
  }
  if (isObject(transcoder.audio)) {
    const p = settingsProblem(transcoder.audio, 'audio');
    if (p) return found(['audio'], ...p);
  }
  if (isObject(transcoder.global)) {
    const fps = readNumber(transcoder.global.fps);
    if (fps !== undefined && fps > TRANSCODER_LIMITS.maxFps)
      return found(['global'], 'fps', `${fps} is above ${TRANSCODER_LIMITS.maxFps}`);
  }
  return null;
}
