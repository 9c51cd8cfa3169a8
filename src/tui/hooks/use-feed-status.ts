import { useSyncExternalStore } from 'react';
import type { FeedStatus, TuiFeed } from '../feed';

/** Re-renders when the feed reports a change (once per interval live; per frame in replay). */
export function useFeedStatus(feed: TuiFeed): FeedStatus {
  return useSyncExternalStore(feed.subscribe, () => feed.status());
}
