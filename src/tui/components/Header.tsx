// The top three lines: who and where (host, kernel, LIVE or REPLAY with position, time and
// speed, REC), the totals with a throughput sparkline, and where in the view we are.
import { Box, Text } from 'ink';
import type { SourceInfo } from '../../events/types';
import type { Totals } from '../../core/state';
import { fit, formatClock, formatCount, formatPerSec, formatRate, sparkline } from '../../core/select/format';
import type { FeedStatus } from '../feed';
import { useTheme } from '../theme';

export interface HeaderProps {
  info: SourceInfo;
  status: FeedStatus;
  totals: Totals;
  wallMs: number | null;
  width: number;
  recording: string | null;
  crumbs: string;
  frozen: boolean;
}

export function Header({ info, status, totals, wallMs, width, recording, crumbs, frozen }: HeaderProps) {
  const theme = useTheme();
  const r = status.replay;
  const mode = r
    ? `REPLAY ${r.loading ? 'loading' : r.atEnd ? 'END' : r.paused ? 'PAUSED' : 'PLAY'} ${formatSpeed(r.speed)} ${r.position}/${r.total}`
    : status.ended
      ? 'LIVE ended'
      : 'LIVE';
  const file = info.file ? `${info.file.slice(info.file.lastIndexOf('/') + 1)} · ` : '';
  const where = `${file}${info.hostname} · ${info.kernel} · ${formatClock(wallMs)} UTC`;
  const rec = recording ? ` ● REC ${recording.slice(recording.lastIndexOf('/') + 1)}` : '';
  const warnLost = totals.lost > 0 || totals.evicted > 0;
  // The totals line: items in a fixed order; on a narrow screen the least needed go first,
  // so that lost/evicted (highlighted when non-zero) always stay in sight.
  const items: Array<{ text: string; keep: number; warn?: boolean; spark?: boolean }> = [
    { text: `flows ${formatCount(totals.flowsOpen)}`, keep: 0 },
    { text: `new ${formatPerSec(totals.newFlowsPerSec)}`, keep: 3 },
    { text: `TX ${formatRate(totals.txRate)}`, keep: 1 },
    { text: `RX ${formatRate(totals.rxRate)}`, keep: 1 },
    { text: `events ${formatPerSec(totals.eventsPerSec)}`, keep: 4 },
    { text: `lost ${formatCount(totals.lost)}`, keep: 0, warn: totals.lost > 0 },
    { text: `evicted ${formatCount(totals.evicted)}`, keep: 0, warn: totals.evicted > 0 },
    // Closed flows the flow cap let go early (a connection storm): said, not highlighted.
    ...(totals.closedShed > 0 ? [{ text: `shed ${formatCount(totals.closedShed)}`, keep: 4 }] : []),
  ];
  const lineLen = (list: typeof items) => list.reduce((n, it) => n + it.text.length, 0) + 3 * (list.length - 1);
  let shown = items;
  for (let drop = 4; drop > 0 && lineLen(shown) > width; drop--) shown = shown.filter((it) => it.keep < drop);
  const sparkW = Math.min(24, width - lineLen(shown) - 1);
  const spark = sparkW >= 4 ? sparkline(totals.throughputHistory, sparkW) : '';
  const frozenText = frozen ? ' FROZEN' : '';
  const modeText = ` ${mode} `;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color={theme.accent}>sockscope</Text>
        {' '}
        <Text inverse bold>{modeText}</Text>
        {status.error ? <Text color={theme.warn}> {status.error}</Text> : null}
        <Text color={theme.rec} bold>{rec}</Text>
        {' '}
        {fit(where, Math.max(0, width - 11 - modeText.length - rec.length))}
      </Text>
      <Text wrap="truncate">
        {shown.map((it, i) => (
          <Text key={it.text.split(' ')[0]}>
            {i > 0 ? ' · ' : ''}
            <Text color={it.warn ? theme.warn : undefined} bold={it.warn} inverse={it.warn && theme.warn === undefined}>{it.text}</Text>
          </Text>
        ))}
        {spark ? <Text color={theme.accent}> {spark}</Text> : null}
      </Text>
      <Text wrap="truncate">
        <Text bold>{crumbs}</Text>
        <Text inverse bold>{frozenText}</Text>
      </Text>
    </Box>
  );
}

function formatSpeed(x: number): string {
  return x >= 1 ? `${Number.isInteger(x) ? x : x.toFixed(1)}x` : `1/${Math.round(1 / x)}x`;
}
