// Stream lifecycle with real ffmpeg processes: restart only on media changes, stop and clean up on
// removal, and no ffmpeg outlives its streamer (pdeathsig on kill -9, reapOrphans for leftovers).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ffmpegAvailable, streams, waitFor } from '../../test-kit/media.ts';
import { MediaManager, type StreamConfig } from '../src/media/manager.ts';
import { mediaDir } from '../src/media/paths.ts';

const skip = !ffmpegAvailable();
const log = pino({ level: 'silent' });
const repo = path.resolve(import.meta.dirname, '../..');

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'media-life-'));
}

/** Running (not zombie) process? */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live ffmpeg processes whose command line mentions `needle`, straight from /proc. */
function ffmpegsWith(needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return path.basename(argv[0] ?? '') === 'ffmpeg' && argv.some((a) => a.includes(needle));
      } catch {
        return false;
      }
    });
}

/** Sequence number of the newest segment in a stream's playlist, or -1. */
function newestSegment(dir: string): number {
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, 'index.m3u8'), 'utf8');
  } catch {
    // no playlist yet
  }
  const all = [...text.matchAll(/^seg-(\d+)\.ts$/gm)].map((m) => Number(m[1]));
  return all.length ? Math.max(...all) : -1;
}

test('title changes keep ffmpeg; input changes restart it; removal stops it', { skip }, async () => {
  const root = tempRoot();
  const m = new MediaManager({ root, log });
  try {
    const s: StreamConfig = { name: 'life', title: 'A', inputs: [{ url: 'fake://fake' }] };
    m.apply(streams(s));
    const dir = m.dir('life')!;
    const pid1 = await waitFor('ffmpeg', () => m.pid('life'), 3000);
    await waitFor('two segments', () => newestSegment(dir) >= 1, 5000);

    m.apply(streams({ ...s, title: 'B', labels: { k: 'v' } }));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(m.pid('life'), pid1, 'a title change does not restart');
    assert.equal(m.config('life')?.title, 'B');

    const before = newestSegment(dir);
    m.apply(streams({ ...s, inputs: [{ url: 'fake://fake?fps=20' }] }));
    const pid2 = await waitFor('a new ffmpeg', () => m.pid('life') !== pid1 && m.pid('life'), 5000);
    assert.ok(!running(pid1), 'the old ffmpeg is gone');
    await waitFor('media after the restart', () => m.stats('life')?.alive, 5000);
    // The restart continues the playlist: old segments stay listed, numbering goes on.
    await waitFor('a segment of the new ffmpeg', () => newestSegment(dir) > before, 5000);
    const playlist = fs.readFileSync(path.join(dir, 'index.m3u8'), 'utf8');
    assert.ok(playlist.includes(`seg-${before}.ts`) && playlist.includes('#EXT-X-DISCONTINUITY'), playlist);
    assert.equal(m.stats('life')!.retry_count, 0);

    m.apply(new Map());
    assert.deepEqual(m.names(), []);
    assert.equal(m.dir('life'), null);
    await waitFor('ffmpeg to exit', () => !running(pid2), 4000);
    await waitFor('the media directory to go', () => !fs.existsSync(dir), 2000);
  } finally {
    await m.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('remove and re-add at once, then disable: one ffmpeg at a time, clean directory', { skip }, async () => {
  const root = tempRoot();
  const m = new MediaManager({ root, log });
  try {
    const s: StreamConfig = { name: 'again', inputs: [{ url: 'fake://fake' }] };
    m.apply(streams(s));
    const dir = m.dir('again')!;
    const pid1 = await waitFor('ffmpeg', () => m.pid('again'), 3000);
    m.apply(new Map());
    m.apply(streams(s));
    const pid2 = await waitFor('a new ffmpeg', () => m.pid('again') !== pid1 && m.pid('again'), 6000);
    assert.ok(!running(pid1));
    await waitFor('a segment of the new run', () => fs.existsSync(path.join(dir, 'seg-0.ts')), 4000);
    assert.equal(ffmpegsWith(root).length, 1);

    m.apply(streams({ ...s, disabled: true }));
    assert.deepEqual(m.names(), []);
    await waitFor('ffmpeg to exit', () => !running(pid2), 4000);
    await waitFor('the media directory to go', () => !fs.existsSync(dir), 2000);
  } finally {
    await m.stopAll();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('kill -9 of the streamer takes its ffmpeg along', { skip }, async () => {
  const root = tempRoot();
  const script = path.join(root, 'child.mts');
  const manager = path.join(repo, 'streamer/src/media/manager.ts');
  fs.writeFileSync(
    script,
    `import { MediaManager } from ${JSON.stringify(manager)};
const log = { info() {}, warn() {}, error() {}, debug() {}, child() { return log; } };
const m = new MediaManager({ root: process.argv[2], log });
m.apply(new Map([['orphan', { name: 'orphan', inputs: [{ url: 'fake://fake' }] }]]));
setInterval(() => m.pid('orphan') && console.log('pid ' + m.pid('orphan')), 100);
`,
  );
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', script, root], { cwd: repo, stdio: 'pipe' });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor('the child to start ffmpeg', () => Number(/pid (\d+)/.exec(out)?.[1]), 30_000);
    // The pid exists from fork on; /proc shows it as ffmpeg only once exec has happened.
    await waitFor('its ffmpeg to show in /proc', () => ffmpegsWith(root).includes(pid), 10_000);
    assert.deepEqual(ffmpegsWith(root), [pid]);

    const t0 = Date.now();
    child.kill('SIGKILL');
    await waitFor('no ffmpeg of the killed streamer', () => ffmpegsWith(root).length === 0, 10_000);
    console.log(`ffmpeg gone ${Date.now() - t0} ms after kill -9 of its streamer`);
  } finally {
    child?.kill('SIGKILL');
    for (const pid of ffmpegsWith(root)) process.kill(pid, 'SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** An ffmpeg that writes HLS into `dir` the way a streamer would, but without pdeathsig. */
function leftover(dir: string): ChildProcess {
  fs.mkdirSync(dir, { recursive: true });
  const args = ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=5'];
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'hls', '-hls_segment_filename', 'seg-%d.ts');
  return spawn('ffmpeg', [...args, path.join(dir, 'index.m3u8')], { cwd: dir, stdio: 'ignore' });
}

test('reapOrphans kills leftovers by pid file and by /proc, and nothing else', { skip }, async () => {
  const root = tempRoot();
  const procs: ChildProcess[] = [];
  try {
    const withPidFile = leftover(mediaDir(root, 'left'));
    const withoutPidFile = leftover(mediaDir(root, 'left/2'));
    // A pid file naming an unrelated process (a reused pid) must not get it killed.
    const bystander = spawn('sleep', ['30'], { cwd: os.tmpdir(), stdio: 'ignore' });
    procs.push(withPidFile, withoutPidFile, bystander);
    fs.writeFileSync(path.join(mediaDir(root, 'left'), 'ffmpeg.pid'), `${withPidFile.pid}\n`);
    fs.mkdirSync(mediaDir(root, 'stale'));
    fs.writeFileSync(path.join(mediaDir(root, 'stale'), 'ffmpeg.pid'), `${bystander.pid}\n`);
    await waitFor('the leftovers to run', () => ffmpegsWith(root).length === 2, 3000);

    const m = new MediaManager({ root, log });
    assert.equal(await m.reapOrphans(), 2);
    await waitFor(
      'the leftovers to exit',
      () => procs.slice(0, 2).every((p) => p.exitCode !== null || p.signalCode),
      2000,
    );
    assert.deepEqual(ffmpegsWith(root), []);
    assert.ok(running(bystander.pid!), 'the bystander lives');
    assert.deepEqual(fs.readdirSync(path.join(root, 'media')), [], 'stale media directories are removed');
    assert.equal(await m.reapOrphans(), 0);
    await m.stopAll();
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
