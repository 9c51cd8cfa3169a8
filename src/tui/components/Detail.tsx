// One flow in full: every field, its lifecycle, and its rate history as sparklines.
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { CoreState } from '../../core/state';
import { flowCgroup, flowContainer, flowGroup, flowProcess, flowLifecycle, flowUser, rateHistory, wallMsAt } from '../../core/reducer';
import {
  fit, formatBytes, formatClock, formatCount, formatEndpoint, formatMicros, formatOffset, formatRate, formatState, sparkline,
} from '../../core/select/format';
import { useTheme } from '../theme';

export function Detail({ state, flowId, width, height }: { state: CoreState; flowId: number; width: number; height: number }) {
  const theme = useTheme();
  const f = state.flows.get(flowId);
  if (!f) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold inverse>{fit(` flow ${flowId}`, width)}</Text>
        <Text>This flow is no longer tracked (closed and expired, or evicted). Esc goes back.</Text>
      </Box>
    );
  }
  const proc = flowProcess(state, f);
  const user = flowUser(state, f);
  const group = flowGroup(state, f);
  const cg = flowCgroup(state, f);
  const ctr = flowContainer(state, f);
  const o = f.owner;
  const when = (ts: number | null) => (ts === null ? '-' : `${formatClock(wallMsAt(state, ts))} (${formatOffset(ts, f.startTs)})`);
  const fields: Array<[string, string]> = [
    ['flow', `${f.flowId}  cookie ${f.cookie}  ${f.proto} IPv${f.family}  ${f.direction}${f.seenAtStart ? '  (open before capture started)' : ''}`],
    ['local', formatEndpoint(f.laddr, f.lport, f.family)],
    ['remote', formatEndpoint(f.raddr, f.rport, f.family)],
    ['state', formatState(f.state)],
    ['process', `${o.comm}  pid ${o.pid}  tid ${o.tid}  ppid ${o.ppid}${proc?.exitedTs ? '  (exited)' : ''}`],
    ['exe', proc?.exe ?? '-'],
    ['cmdline', proc?.cmdline ?? '-'],
    ['user', `${user ?? '?'} (uid ${o.uid})  group ${group ?? '?'} (gid ${o.gid})`],
    ['cgroup', `${cg?.path ?? '-'}  (id ${o.cgroupId})  netns ${o.netns}`],
    ['container', ctr ? `${ctr.name ?? '-'}  ${ctr.id.slice(0, 12)}  ${ctr.runtime}${ctr.pod ? `  pod ${ctr.namespace ? `${ctr.namespace}/` : ''}${ctr.pod}` : ''}` : '- (host)'],
    ['sent', `${formatBytes(f.bytesSent)}  ${formatCount(f.packetsSent)} pkts  ${formatRate(f.txRate)}`],
    ['received', `${formatBytes(f.bytesReceived)}  ${formatCount(f.packetsReceived)} pkts  ${formatRate(f.rxRate)}`],
    ['tcp', `retransmits ${formatCount(f.retransmits)}  srtt ${formatMicros(f.srttUs)}  connect ${formatMicros(f.connectLatencyUs)}`],
    ['start', when(f.startTs)],
    ['end', when(f.endTs)],
  ];
  const hist = rateHistory(state, f);
  const peakTx = Math.max(0, ...hist.tx);
  const peakRx = Math.max(0, ...hist.rx);
  // Room for the label and the peak after the sparkline.
  const sparkW = Math.max(0, width - 32);
  const lines: ReactNode[] = fields.map(([k, v]) => (
    <Text key={k} wrap="truncate"><Text bold>{fit(k, 10)}</Text> {v}</Text>
  ));
  lines.push(
    <Text key="h-tx" wrap="truncate"><Text bold>{fit('TX rate', 10)}</Text> <Text color={theme.accent}>{sparkline(hist.tx, sparkW) || '-'}</Text>  peak {formatRate(peakTx)}</Text>,
    <Text key="h-rx" wrap="truncate"><Text bold>{fit('RX rate', 10)}</Text> <Text color={theme.accent}>{sparkline(hist.rx, sparkW) || '-'}</Text>  peak {formatRate(peakRx)}</Text>,
    <Text key="lc" bold>lifecycle</Text>,
  );
  for (const [i, ev] of flowLifecycle(f).entries()) {
    lines.push(<Text key={`lc${i}`} wrap="truncate">  {formatOffset(ev.ts, f.startTs)}  {formatState(ev.what)}</Text>);
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold inverse>{fit(` ${o.comm} ${formatEndpoint(f.laddr, f.lport, f.family)} -> ${formatEndpoint(f.raddr, f.rport, f.family)}`, width)}</Text>
      {lines.slice(0, Math.max(0, height - 1))}
    </Box>
  );
}
