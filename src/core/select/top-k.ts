// The first k of n items in an order, without sorting all n: one pass keeps the k best
// so far in a binary heap whose root is the worst of them; an item better than the root
// replaces it. Most items lose to the root at once, so a screenful out of 100,000 rows
// costs about one comparison per row.
import type { IndexOrder } from './row-order';

/** Indices 0..n-1 of the first `k` items under `order`, in that order; with `fromEnd`,
 * of the last `k`, last first. (A flag rather than a reversed comparison function: a
 * wrapper around `order` cost as much as the selection, measured on End at 10,000 rows.) */
export function topK(n: number, k: number, order: IndexOrder, fromEnd = false): number[] {
  k = Math.max(0, Math.min(k, n));
  if (k === 0) return [];
  const heap: number[] = [];
  // `order` never returns 0 for two items, so negating it reverses the order.
  const sign = fromEnd ? -1 : 1;
  // `sign * order(a, b) > 0`: a comes after b, so it belongs nearer the root (the worst kept).
  const siftUp = (i: number) => {
    const x = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (sign * order(x, heap[p]) <= 0) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = x;
  };
  const siftDown = (i: number) => {
    const x = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= k) break;
      if (c + 1 < k && sign * order(heap[c + 1], heap[c]) > 0) c++;
      if (sign * order(heap[c], x) <= 0) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  };
  for (let i = 0; i < k; i++) {
    heap.push(i);
    siftUp(i);
  }
  for (let i = k; i < n; i++) {
    if (sign * order(i, heap[0]) < 0) {
      heap[0] = i;
      siftDown(0);
    }
  }
  heap.sort(order);
  return fromEnd ? heap.reverse() : heap;
}
