/** Time comes from here so that tests can drive it. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
