// A flow that opened and closed in one record, read from its two events as a Flow, for a
// reader given it at once (CoreOptions.onBriefDone) rather than from the state.
import type { Direction, Family, FlowCloseEvent, FlowOpenEvent, Owner, Proto } from '../events/types';
import type { Flow } from './state';

/** One object re-pointed at each brief (set): read it at once, do not keep it. */
export class BriefFlow implements Flow {
  flowId = 0;
  cookie = 0;
  proto: Proto = 'tcp';
  family: Family = 4;
  laddr = '';
  lport = 0;
  raddr = '';
  rport = 0;
  direction: Direction = 'unknown';
  owner: Owner = null as unknown as Owner;
  readonly state = 'closed';
  seenAtStart = false;
  startTs = 0;
  endTs = 0;
  bytesSent = 0;
  bytesReceived = 0;
  packetsSent: number | null = null;
  packetsReceived: number | null = null;
  retransmits: number | null = null;
  srttUs: number | null = null;
  connectLatencyUs: number | null = null;
  // Closed within an interval: it never had a rate, nor a history.
  readonly txRate = 0;
  readonly rxRate = 0;
  readonly prevBytesSent = 0;
  readonly prevBytesReceived = 0;
  readonly history = null;
  readonly historyStart = 0;
  readonly historyEnd = 0;
  openedAs = '';
  readonly lifecycle = null;

  set(open: FlowOpenEvent, close: FlowCloseEvent): this {
    this.flowId = open.flowId;
    this.cookie = open.cookie;
    this.proto = open.proto;
    this.family = open.family;
    this.laddr = open.laddr;
    this.lport = open.lport;
    this.raddr = open.raddr;
    this.rport = open.rport;
    this.direction = open.direction;
    this.owner = open.owner;
    this.seenAtStart = open.seenAtStart;
    this.openedAs = open.seenAtStart ? 'seen at start' : open.state;
    this.startTs = open.ts;
    this.endTs = close.ts;
    this.connectLatencyUs = open.connectLatencyUs;
    const c = close.counters;
    this.bytesSent = c.bytesSent;
    this.bytesReceived = c.bytesReceived;
    this.packetsSent = c.packetsSent;
    this.packetsReceived = c.packetsReceived;
    this.retransmits = c.retransmits;
    this.srttUs = c.srttUs;
    return this;
  }
}
