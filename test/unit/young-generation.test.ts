import { describe, expect, it } from 'vitest';
import { closeRate } from '../../src/tui/young-generation';

describe('closeRate (the TUI lifts its young-generation cap above CHURN_CLOSES_PER_SEC)', () => {
  it('is the flows opened per second less the growth of the open ones', () => {
    let t = { flowsOpen: 0, newFlowsPerSec: 0 };
    let now = 0;
    const rate = closeRate(() => t, () => now);
    expect(rate()).toBe(0);
    // A listing burst: 20,000 opened in a second, all still open: nothing closed.
    t = { flowsOpen: 20_000, newFlowsPerSec: 20_000 };
    now = 1000;
    expect(rate()).toBe(0);
    // Churn: 50,000 opened in a second, the open ones unchanged: 50,000 closed.
    t = { flowsOpen: 20_000, newFlowsPerSec: 50_000 };
    now = 2000;
    expect(rate()).toBe(50_000);
    // Held flows closing: 5,000 fewer open in two seconds, none opened: 2,500 a second.
    t = { flowsOpen: 15_000, newFlowsPerSec: 0 };
    now = 4000;
    expect(rate()).toBe(2500);
  });
});
