// Mounts the App on the real terminal: alternate screen, Ctrl-C handled by the key table
// (not by Ink) so that quitting always goes through the one place that exits.
import { render } from 'ink';
import { App } from './App';
import type { TuiFeed } from './feed';
import { screenRenderOptions } from './render-options';
import { capYoungGeneration, closeRate } from './young-generation';

export async function mountTui(feed: TuiFeed, opts: { durationMs?: number | null; notice?: string } = {}): Promise<number> {
  const uncap = capYoungGeneration(closeRate(() => feed.state().totals));
  const instance = render(<App feed={feed} notice={opts.notice} />, screenRenderOptions());
  const timer = opts.durationMs ? setTimeout(() => instance.unmount(), opts.durationMs) : null;
  // SIGTERM (and SIGINT from outside the terminal) leave the same way q does.
  const onSignal = () => instance.unmount();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    if (timer) clearTimeout(timer);
    uncap();
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    // Closing the feed also completes a recording started with R.
    await feed.close();
  }
  return 0;
}
