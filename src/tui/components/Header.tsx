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
  const spark = sparkline(totals.throughputHistory, Math.min(20, Math.max(0, width - 70)));
  const line2 = [
    `flows ${formatCount(totals.flowsOpen)}`,
    `new ${formatPerSec(totals.newFlowsPerSec)}`,
    `TX ${formatRate(totals.txRate)}`,
    `RX ${formatRate(totals.rxRate)}`,
    `ev ${formatPerSec(totals.eventsPerSec)}`,
  ].join(' · ');
  const lossText = ` · lost ${formatCount(totals.lost)} · evicted ${formatCount(totals.evicted)}`;
  const tail = `${spark ? ` ${spark}` : ''}`;
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
        {line2}
        <Text color={warnLost ? theme.warn : undefined} bold={warnLost}>{lossText}</Text>
        <Text color={theme.accent}>{tail}</Text>
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
