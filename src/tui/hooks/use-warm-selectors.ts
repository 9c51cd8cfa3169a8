import { useEffect, useRef } from 'react';
import { GROUPINGS } from '../../core/select/group';
import { selectTable, type FlowRow } from '../../core/select/index';
import { parseQuery } from '../../core/select/query';
import { DEFAULT_SORT } from '../../core/select/sort';

/** Below this many flows a cold grouping is fast anyway. */
const WARM_FROM = 2000;

/** The first Tab on 10,000 flows runs the grouping code cold (interpreted) and takes
 * several times as long as the next one. Once there is that much data, this runs each
 * grouping once while the screen is idle, one per timer turn so that keys still come
 * first, and throws the result away: the first key press then redraws as fast as any. */
export function useWarmSelectors(rows: readonly FlowRow[]): void {
  const done = useRef(false);
  useEffect(() => {
    if (done.current || rows.length < WARM_FROM) return;
    done.current = true;
    const query = parseQuery('');
    const timers: NodeJS.Timeout[] = [];
    GROUPINGS.forEach((groupBy, i) => {
      timers.push(setTimeout(() => selectTable(rows, { groupBy, openGroup: null, query, sort: DEFAULT_SORT }), 50 * (i + 1)));
    });
    return () => timers.forEach(clearTimeout);
  }, [rows]);
}
