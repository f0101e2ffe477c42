// The programs scripts/build.ts bundles into dist/, and the bundle each becomes (test-kit starts the
// bundle of an entry under `npm test`).
export const PROGRAMS = [
  { workspace: 'server', entry: 'server/src/main.ts', outfile: 'central.js' },
  { workspace: 'streamer', entry: 'streamer/src/main.ts', outfile: 'streamer.js' },
  { workspace: '.', entry: 'scripts/demo.ts', outfile: 'demo.js' },
  // The fault suite's streamer (a test program: its npm packages are the server's).
  { workspace: 'server', entry: 'chaos/streamer-main.ts', outfile: 'chaos-streamer.js' },
];
