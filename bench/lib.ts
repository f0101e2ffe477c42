// Benchmark plumbing: child processes that are always stopped, one registry of clean-up steps run on
// success, error, Ctrl-C or a watchdog, and a bounded autocannon run reduced to the numbers we report.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuMeter, type CpuSplit } from './cpu.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- clean-up -------------------------------------------------------------------------------------

const cleanups: { name: string; fn: () => unknown }[] = [];
const children = new Set<ChildProcess>();
let current: autocannon.Instance | null = null;
let cleaning: Promise<void> | null = null;

/** Registers a step; steps run once, newest first. */
export function onCleanup(name: string, fn: () => unknown) {
  cleanups.push({ name, fn });
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    current?.stop();
    for (const step of cleanups.reverse()) {
      try {
        await step.fn();
      } catch (e) {
        console.error(`clean-up: ${step.name}: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C, SIGTERM and a watchdog all end in clean-up; children are SIGKILLed if we exit anyway. */
export function installExitHandlers(watchdogMs: number) {
  const abort = (why: string, code: number) => {
    console.error(`\nbench: ${why}; cleaning up`);
    const hard = setTimeout(() => process.exit(code), 20_000);
    hard.unref();
    void cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(() => abort(`still running after ${watchdogMs / 1000} s`, 1), watchdogMs);
  watchdog.unref();
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return () => clearTimeout(watchdog);
}

// ---- child processes ------------------------------------------------------------------------------

export interface Child {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `node [nodeArgs] --import tsx <file>` from the repository root, with exactly the given env. */
export function spawnNode(name: string, file: string, env: Record<string, string>, nodeArgs: string[] = []) {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, file)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve(code);
    }),
  );
  const child: Child = {
    name,
    proc,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  onCleanup(`stop ${name}`, () => child.stop());
  return child;
}

/** Polls url until it answers 200; fails when the child exits first or after timeoutMs. */
export async function waitReady(
  child: Child,
  url: string,
  headers: Record<string, string>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${child.name} not ready in ${timeoutMs} ms (${last}):\n${child.output()}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- load -----------------------------------------------------------------------------------------

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  requests: number;
  /** Cores used during the measured run by the load generator, the app under test and PostgreSQL. */
  cpu: CpuSplit;
}

export interface LoadSpec {
  url: string;
  connections: number;
  headers: Record<string, string>;
  requests: autocannon.Request[];
}

/** One autocannon run of `seconds` (autocannon stops by itself); throughput counts 2xx answers only. */
export async function runLoad(
  spec: LoadSpec,
  seconds: number,
  pids: { app: number; postmaster: number },
): Promise<Sample> {
  const cpu = cpuMeter(pids.app, pids.postmaster);
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    headers: spec.headers,
    requests: spec.requests,
    timeout: 10,
  });
  current = instance;
  try {
    const r = await instance;
    const used = cpu();
    const ok = Object.entries(r.statusCodeStats)
      .filter(([code]) => code.startsWith('2'))
      .reduce((n, [, s]) => n + s.count, 0);
    return {
      rps: ok / r.duration,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      requests: ok + r.non2xx,
      cpu: used,
    };
  } finally {
    current = null;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function medianSample(xs: Sample[]): Sample {
  const of = (k: 'rps' | 'p50' | 'p99') => median(xs.map((x) => x[k]));
  return {
    rps: of('rps'),
    p50: of('p50'),
    p99: of('p99'),
    non2xx: xs.reduce((n, x) => n + x.non2xx, 0),
    errors: xs.reduce((n, x) => n + x.errors, 0),
    requests: xs.reduce((n, x) => n + x.requests, 0),
    cpu: {
      loader: median(xs.map((x) => x.cpu.loader)),
      app: median(xs.map((x) => x.cpu.app)),
      postgres: median(xs.map((x) => x.cpu.postgres)),
      other: median(xs.map((x) => x.cpu.other)),
    },
  };
}

// ---- machine --------------------------------------------------------------------------------------

export function machine(pgVersion: string) {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model.trim() ?? 'unknown'} × ${cpus.length}`,
    nproc: os.availableParallelism(),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: pgVersion,
  };
}
export type Machine = ReturnType<typeof machine>;
