// Summaries for repeated measurements: the median and the spread (min..max), never a mean of
// noisy samples alone.
export function summary(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  // The middle half (nearest ranks): a few outlying runs (the VM slowing down for some
  // seconds) set min and max, the quartiles show how tight the rest is.
  const q = (f) => v[Math.min(v.length - 1, Math.max(0, Math.round(f * (v.length - 1))))];
  return { median, min: v[0], max: v[v.length - 1], q1: q(0.25), q3: q(0.75), n: v.length };
}

export function fmt(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

export function fmtInt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return Math.round(x).toLocaleString('en-US');
}

// "0.97 (0.95-0.99, n=5)"
export function fmtSummary(s, digits = 2) {
  if (!s) return 'n/a';
  if (s.n === 1) return `${fmt(s.median, digits)} (n=1)`;
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}-${fmt(s.max, digits)}, n=${s.n})`;
}

// Where the true median of noisy ratios lies, at least `level` of the time, from the ratios
// alone (order statistics: the k-th smallest and k-th largest, k the largest with
// P(Binomial(n, 1/2) < k) <= (1 - level) / 2). n = 9: the 2nd and 8th (96%). Null below n = 6,
// where no such pair reaches 95%.
export function medianInterval(values, level = 0.95) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  let k = 0, below = 0, term = 0.5 ** n; // P(B = 0)
  while (below + term <= (1 - level) / 2) { below += term; k++; term *= (n - k + 1) / k; }
  return k === 0 ? null : { lo: v[k - 1], hi: v[n - k], level: 1 - 2 * below };
}
