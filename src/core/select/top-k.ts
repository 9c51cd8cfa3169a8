// The first k of n items in an order, without sorting all n: one pass keeps the k best
// so far in a binary heap whose root is the worst of them; an item better than the root
// replaces it. Most items lose to the root at once, so a screenful out of 100,000 rows
// costs about one comparison per row.
import type { IndexOrder } from './row-order';

/** Indices 0..n-1 of the first `k` items under `order`, in that order. */
export function topK(n: number, k: number, order: IndexOrder): number[] {
  k = Math.max(0, Math.min(k, n));
  if (k === 0) return [];
  const heap: number[] = [];
  // `order(a, b) > 0`: a comes after b, so it belongs nearer the root (the worst kept).
  const siftUp = (i: number) => {
    const x = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (order(x, heap[p]) <= 0) break;
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
      if (c + 1 < k && order(heap[c + 1], heap[c]) > 0) c++;
      if (order(heap[c], x) <= 0) break;
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
    if (order(i, heap[0]) < 0) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort(order);
}
