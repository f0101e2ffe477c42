// Central refuses at save time what no streamer can run safely (issue 12): unknown schemes, ffmpeg
// pseudo-protocols, options that make a streamer listen, CR/LF or forbidden headers, file:// paths with
// "..", reserved addresses. The rules are the streamer's own (protocol/input-rules); Central accepts
// the input schemes of Flussonic Media Server as well, and resolves no names (streamers do, at run time).
// Transcoder settings above protocol's TRANSCODER_LIMITS (8K, 120 fps …) are refused the same way.
import { transcoderProblem } from '@central/protocol';
import { CENTRAL_SCHEMES, inputsProblem } from '@central/protocol/input-rules';
import { ApiError } from '../http/errors.ts';
import { isRecord } from '../lib/objects.ts';

/**
 * Throws a 400 naming the first refused input, or the first transcoder setting above the limits, of a
 * stream body; `at` is the body's pointer (batch).
 */
export function checkStreamInputs(body: unknown, at = ''): void {
  if (!isRecord(body)) return; // the schema answers that
  const prefix = at ? `[${at.slice(1)}].` : '';
  const refused = inputsProblem(body.inputs, CENTRAL_SCHEMES);
  if (refused)
    throw new ApiError(400, 'invalid_input', `${prefix}${refused.title}`, {
      pointer: `${at}${refused.pointer}`,
    });
  const tooLarge = transcoderProblem(body.transcoder);
  if (tooLarge)
    throw new ApiError(400, 'invalid_field', `${prefix}${tooLarge.title}`, {
      pointer: `${at}${tooLarge.pointer}`,
    });
}

/** checkStreamInputs for each item of a batch body (anything else is for the batch rules to answer). */
export function checkBatchInputs(body: unknown): void {
  if (Array.isArray(body)) body.forEach((item, i) => checkStreamInputs(item, `/${i}`));
}
