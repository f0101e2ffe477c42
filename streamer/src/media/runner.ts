// One stream's life: an ffmpeg process per attempt, failover through the inputs in priority order,
// back-off once every input has failed, stall detection, and stats. Event handlers never throw.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { transcoderProblem } from '@central/protocol';
import { inputProblem } from '@central/protocol/input-rules';
import type { Logger } from 'pino';
import { buildArgs } from './ffmpeg-args.ts';
import type { StreamConfig, StreamRunStats } from './manager.ts';
import { PID_FILE, PLAYLIST, removeStaleFiles } from './paths.ts';
import { spawnFfmpeg, terminate } from './process.ts';
import { MediaProgress } from './progress.ts';
import { redactText, redactUrl, urlSecrets } from './redact.ts';
import type { GuardProxy, ProxyTicket } from './guard-proxy.ts';
import { prepareRun, type InputRules, type PreparedInput } from './input-guard.ts';
import { orderInputs, type InputSpec } from './sources.ts';

export interface RunnerDeps {
  dir: string;
  /** What inputs may open: the media root of file:// inputs, the address rules. */
  rules: InputRules;
  /** Every http(s) request of ffmpeg goes through it. */
  proxy: GuardProxy;
  log: Logger;
  ffmpegPath: string;
  stallMs: number;
  /** Settles when the previous owner of `dir` (a stopping runner) is done with it. */
  after?: Promise<void>;
}

/** Media flowing this long proves an input good: the back-off starts over. */
const HEALTHY_MS = 10_000;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** Pause before trying the next input, so a broken setup cannot spin. */
const NEXT_INPUT_MS = 100;

export class StreamRunner {
  readonly openedAt = Date.now();
  config: StreamConfig;
  private inputs: InputSpec[] = [];
  private secrets: string[] = [];
  private fatal: string | null = null;
  private pos = 0;
  private failures = 0;
  private backoffMs = FIRST_BACKOFF_MS;
  private inBackoff = false;
  private retries = 0;
  private sourceError: string | null = null;
  private child: ChildProcess | null = null;
  private ticket: ProxyTicket | null = null;
  /** Bumped by every launch: an input check that finishes late only spawns if it is still current. */
  private attempt = 0;
  private exited: Promise<void> = Promise.resolve();
  private startedAt: number | null = null;
  private lastStderr = '';
  private endReason: string | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private restartPending = false;
  private stopping = false;
  private booted = false;
  private readonly booting: Promise<void>;
  private readonly ticker: NodeJS.Timeout;
  private readonly progress = new MediaProgress();
  private readonly log: Logger;

  constructor(
    readonly name: string,
    config: StreamConfig,
    private readonly deps: RunnerDeps,
  ) {
    this.log = deps.log.child({ stream: name });
    this.config = config;
    this.setInputs(config);
    this.ticker = setInterval(() => this.safe(() => this.tick(Date.now())), 1000);
    this.ticker.unref();
    this.booting = this.boot();
  }

  /** A media-relevant change: the next ffmpeg uses `config`, from the first input, same playlist. */
  update(config: StreamConfig): void {
    this.config = config;
    this.setInputs(config);
    this.attempt++; // an input check still running is for the old config
    [this.pos, this.failures, this.backoffMs] = [0, 0, FIRST_BACKOFF_MS];
    if (!this.booted || this.stopping) return;
    this.clearRetry();
    if (this.child) {
      this.restartPending = this.fatal === null;
      this.endProcess();
    } else if (this.fatal === null) this.launch();
    this.log.info('stream config changed: restarting ffmpeg');
  }

  /** Ends ffmpeg (SIGTERM, SIGKILL after 3 s) and removes the media directory. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.ticker);
    this.clearRetry();
    await this.booting;
    if (this.child) this.endProcess();
    await this.exited;
    await rm(this.deps.dir, { recursive: true, force: true }).catch((err: unknown) =>
      this.log.warn({ err: redactText(String(err)) }, 'cannot remove media directory'),
    );
    this.log.info('stream stopped');
  }

  stats(now: number): StreamRunStats {
    const alive = this.child !== null && this.progress.alive(now);
    const input = this.inputs[this.pos];
    return {
      status: this.fatal !== null || this.inBackoff ? 'error' : alive ? 'running' : 'waiting',
      alive,
      bitrate: alive ? this.progress.bitrateKbit() : 0,
      bytes_in: this.progress.bytesIn,
      opened_at: this.openedAt,
      started_at: this.startedAt,
      lifetime: Math.max(0, Math.round(now - this.openedAt)),
      retry_count: this.retries,
      input_index: input?.index ?? 0,
      url: input ? redactUrl(input.url) : null,
      source_error: this.fatal ?? this.sourceError,
    };
  }

  /** Pid of the running ffmpeg, if any. */
  pid(): number | null {
    return this.child?.pid ?? null;
  }

  private setInputs(config: StreamConfig): void {
    this.inputs = orderInputs(config);
    this.secrets = this.inputs.flatMap((i) => urlSecrets(i.url));
    const problems = this.inputs.flatMap((i) => inputProblem({ ...i.opts, url: i.url }) ?? []);
    // Settings above the transcoder limits (8K, 120 fps …) would take the machine: not run at all.
    const tooLarge = transcoderProblem(config.transcoder);
    this.fatal =
      this.inputs.length === 0
        ? 'no inputs configured'
        : tooLarge
          ? `not run: ${tooLarge.title}`
          : problems.length === this.inputs.length
            ? redactText(problems[0]!.reason, this.secrets)
            : null;
    if (this.fatal) this.log.error({ error: this.fatal }, 'stream cannot run');
  }

  /** A new stream starts from an empty directory (a previous owner may still be leaving it). */
  private async boot(): Promise<void> {
    await this.deps.after?.catch(() => undefined);
    try {
      if (this.stopping) return;
      await rm(this.deps.dir, { recursive: true, force: true });
      await mkdir(this.deps.dir, { recursive: true });
      this.booted = true;
      if (!this.stopping && this.fatal === null) this.launch();
    } catch (err) {
      this.fatal = redactText(`cannot prepare the media directory: ${String(err)}`);
      this.log.error({ error: this.fatal }, 'stream cannot run');
    }
  }

  /** Checks the current input (file root, resolved address), then starts ffmpeg on it. */
  private launch(): void {
    this.retryTimer = null;
    this.inBackoff = false;
    const input = this.inputs[this.pos];
    if (this.stopping || this.fatal !== null || !input || this.child) return;
    const attempt = ++this.attempt;
    void prepareRun(input, this.deps.rules, this.deps.proxy).then((prepared) => {
      const current = attempt === this.attempt && !this.stopping && this.fatal === null && !this.child;
      if (!current) return prepared.ticket?.release();
      this.safe(() =>
        'error' in prepared
          ? this.failed(input, redactText(prepared.error, this.secrets), false)
          : this.spawn(input, prepared),
      );
    });
  }

  private spawn(input: InputSpec, prepared: PreparedInput): void {
    const playlist = path.join(this.deps.dir, PLAYLIST);
    const ticket = prepared.ticket ?? null;
    const fail = (error: string) => (
      ticket?.release(),
      this.failed(input, redactText(error, this.secrets), false)
    );
    let child: ChildProcess;
    try {
      fs.mkdirSync(this.deps.dir, { recursive: true });
      const append = fs.existsSync(playlist);
      const built = buildArgs(this.config, prepared, { playlist, append, proxy: ticket?.url });
      if ('error' in built) return fail(built.error);
      if (append) removeStaleFiles(this.deps.dir);
      child = spawnFfmpeg(this.deps.ffmpegPath, built.args, this.deps.dir);
    } catch (err) {
      return fail(`cannot start ffmpeg: ${String(err)}`);
    }
    this.ticket = ticket;
    this.watch(child, input);
    if (child.pid === undefined) return;
    // reapOrphans() of the next run finds a leftover ffmpeg by this file (and by /proc).
    try {
      fs.writeFileSync(path.join(this.deps.dir, PID_FILE), `${child.pid}\n`);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot write the pid file');
    }
    this.log.info({ pid: child.pid, input_index: input.index, url: redactUrl(input.url) }, 'ffmpeg started');
  }

  private watch(child: ChildProcess, input: InputSpec): void {
    this.child = child;
    this.startedAt = Date.now();
    this.lastStderr = '';
    this.endReason = null;
    this.progress.beginProcess();
    let done!: () => void;
    this.exited = new Promise((resolve) => (done = resolve));
    let ended = false;
    const end = (code: number | null, sig: NodeJS.Signals | null, err?: Error) => {
      if (ended) return;
      ended = true;
      this.safe(() => this.onEnd(child, input, code, sig, err));
      done();
    };
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.safe(() => this.onProgress(d)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.safe(() => this.onStderr(d)));
    child.on('error', (err) => (child.pid === undefined ? end(null, null, err) : undefined));
    child.on('close', (code, sig) => end(code, sig));
  }

  private onProgress(chunk: string): void {
    if (!this.progress.feed(chunk, Date.now())) return;
    if (this.sourceError !== null) this.log.info('media is flowing again');
    this.sourceError = null;
  }

  private onStderr(chunk: string): void {
    const lines = chunk.split(/[\r\n]+/).filter((l) => l.trim() !== '');
    if (lines.length) this.lastStderr = lines.at(-1)!;
  }

  private onEnd(child: ChildProcess, input: InputSpec, code: number | null, sig: string | null, err?: Error) {
    if (this.child !== child) return;
    this.child = null;
    this.startedAt = null;
    const refused = this.ticket?.refused ?? null;
    this.ticket?.release();
    this.ticket = null;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    fs.rmSync(path.join(this.deps.dir, PID_FILE), { force: true });
    void this.progress.scan(this.deps.dir);
    if (this.stopping || this.fatal !== null) return;
    if (this.restartPending) {
      this.restartPending = false;
      return this.launch();
    }
    const why = err
      ? `cannot start ffmpeg: ${err.message}`
      : (refused ??
        this.endReason ??
        (this.lastStderr ||
          (code === 0 ? 'the source ended' : `ffmpeg exited (${code ?? sig ?? 'unknown'})`)));
    this.failed(input, redactText(why, this.secrets), this.progress.flowedMs() >= HEALTHY_MS);
  }

  /** Moves on after `input` failed: the next input at once, or the first after a back-off. */
  private failed(input: InputSpec, error: string, wasHealthy: boolean): void {
    this.sourceError = error;
    this.log.warn({ input_index: input.index, error }, 'input failed');
    if (wasHealthy) [this.failures, this.backoffMs] = [0, FIRST_BACKOFF_MS];
    this.failures++;
    this.retries++;
    if (this.failures < this.inputs.length) {
      this.pos = (this.pos + 1) % this.inputs.length;
      return this.retryIn(NEXT_INPUT_MS);
    }
    [this.failures, this.pos, this.inBackoff] = [0, 0, true];
    this.log.warn({ retry_in_ms: this.backoffMs }, 'every input failed; backing off');
    this.retryIn(this.backoffMs);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  private retryIn(ms: number): void {
    this.retryTimer = setTimeout(() => this.safe(() => this.launch()), ms);
    this.retryTimer.unref();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.inBackoff = false;
  }

  private endProcess(): void {
    if (this.child && !this.killTimer) this.killTimer = terminate(this.child);
  }

  /** Counts new segments; ends an ffmpeg whose media clock has not moved for the stall timeout. */
  private tick(now: number): void {
    if (!this.child || this.startedAt === null) return;
    void this.progress.scan(this.deps.dir);
    const input = this.inputs[this.pos];
    const limit = input?.timeoutSet ? input.timeoutS * 1000 : this.deps.stallMs;
    const since = this.progress.lastAdvanceAt ?? this.startedAt;
    if (now - since < limit || this.endReason !== null) return;
    this.endReason = `no media for ${Math.round((now - since) / 1000)} s`;
    this.endProcess();
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err: redactText(String(err), this.secrets) }, 'media runner error');
    }
  }
}
