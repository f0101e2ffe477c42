// How long a test waits for a condition. Each wait names what an idle machine needs; the deadline is
// that times TEST_PATIENCE (default 3), so that a machine busy with other work is slower, not failing.
// A test that checks how fast something happens asserts the time the wait took, separately.
export const PATIENCE = Math.max(1, Number(process.env.TEST_PATIENCE) || 3);

/** The deadline for a wait an idle machine finishes within `ms`. */
export const patient = (ms: number): number => ms * PATIENCE;
