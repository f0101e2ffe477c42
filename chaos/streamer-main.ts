// One fake streamer (test-kit/test-streamer.ts) as a process of its own, so that the fault suite can
// kill -9 it and SIGSTOP it like a real one. Arguments: hostname, cluster key, port.
import { TestStreamer } from '../test-kit/test-streamer.ts';

const [hostname, clusterKey, port] = process.argv.slice(2);
if (!hostname || !clusterKey || !port) {
  console.error('usage: streamer-main.ts <hostname> <cluster key> <port>');
  process.exit(2);
}
const streamer = new TestStreamer({ hostname, clusterKey, port: Number(port), pollIntervalMs: 500 });
await streamer.start();
console.log(JSON.stringify({ port: streamer.port, msg: `streamer ${hostname} listening` }));
process.on('SIGTERM', () => void streamer.stop().then(() => process.exit(0)));
