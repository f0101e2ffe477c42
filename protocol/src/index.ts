export * from './common.ts';
export * from './stream.ts';
export * from './transcoder.ts';
export * from './streamer.ts';
export * from './system.ts';
export * from './errors.ts';
export * from './redact.ts';
