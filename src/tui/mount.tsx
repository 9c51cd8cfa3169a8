// Mounts the App on the real terminal: alternate screen, Ctrl-C handled by the key table
// (not by Ink) so that quitting always goes through the one place that exits.
import { render } from 'ink';
import { App } from './App';
import type { TuiFeed } from './feed';
import { screenRenderOptions } from './render-options';
import { capYoungGeneration, closeRate } from './young-generation';

/** `ready`: the source mounted while still opening (PendingSource); if it fails, the screen
 * closes and its error is this call's, as if it had failed before the screen came. */
export async function mountTui(feed: TuiFeed, opts: { durationMs?: number | null; notice?: string; ready?: Promise<unknown> } = {}): Promise<number> {
  const uncap = capYoungGeneration(closeRate(() => feed.state().totals));
  const instance = render(<App feed={feed} notice={opts.notice} />, screenRenderOptions());
  let openFailure: { err: unknown } | null = null;
  opts.ready?.catch((err: unknown) => {
    openFailure = { err };
    instance.unmount();
  });
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
  if (openFailure) throw (openFailure as { err: unknown }).err;
  return 0;
}
