// Waiting for the source's next batch or a stop, whichever comes first, in a loop that
// runs once per interval for a whole session. Not with Promise.race: each race adds a
// reaction to the stop promise that holds the race's result (a whole batch of events)
// until the stop settles, so `live --format jsonl` and `record` kept every batch they had
// read (at 100,000 flows, the first batch alone is ~100 MiB of open events).

/** Returns `next(p)`: p's value, or null once any of `stops` has resolved. */
export function nextOrStop(stops: Array<Promise<unknown>>): <T>(p: Promise<T>) => Promise<T | null> {
  let stopped = false;
  let waiting: ((v: null) => void) | null = null;
  const stop = () => {
    stopped = true;
    waiting?.(null);
    waiting = null;
  };
  for (const s of stops) s.then(stop, stop);
  return <T>(p: Promise<T>) =>
    new Promise<T | null>((resolve, reject) => {
      if (stopped) return resolve(null);
      waiting = resolve;
      p.then(
        (v) => { waiting = null; resolve(v); },
        (e) => { waiting = null; reject(e); },
      );
    });
}
