// The header and end-frame records of a recording, and their checks on read.
import type { SourceInfo } from '../events/types';

/** Frame 0 of every recording. */
export interface RecordingHeader {
  formatVersion: number;
  sockscopeVersion: string;
  hostname: string;
  kernel: string;
  cpus: number;
  bootTimeMs: number;
  cgroupRoot: string | null;
  hooks: string[];
  intervalMs: number;
  /** Capture options as given on the command line (duration, interval, ...). */
  capture: Record<string, unknown>;
}

/** The last frame of a recording finished cleanly. */
export interface EndSummary {
  events: number;
  frames: number;
  firstTs: number | null;
  lastTs: number | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Returns the header or what is wrong with it. */
export function checkHeader(v: unknown): RecordingHeader | string {
  if (!isObj(v)) return 'header is not a record';
  const bad = (['sockscopeVersion', 'hostname', 'kernel'] as const).find((k) => !str(v[k]))
    ?? (['formatVersion', 'cpus', 'bootTimeMs', 'intervalMs'] as const).find((k) => !num(v[k]));
  if (bad) return `header field '${bad}' is missing or invalid`;
  if (!(v.cgroupRoot === null || str(v.cgroupRoot))) return "header field 'cgroupRoot' is invalid";
  if (!Array.isArray(v.hooks) || !v.hooks.every(str)) return "header field 'hooks' is invalid";
  if (!isObj(v.capture)) return "header field 'capture' is invalid";
  return v as unknown as RecordingHeader;
}

export function checkEnd(v: unknown): EndSummary | string {
  if (!isObj(v) || !num(v.events) || !num(v.frames)) return 'end record is malformed';
  return v as unknown as EndSummary;
}

export function headerToInfo(h: RecordingHeader, file: string): SourceInfo {
  return {
    mode: 'replay',
    hostname: h.hostname,
    kernel: h.kernel,
    cpus: h.cpus,
    bootTimeMs: h.bootTimeMs,
    cgroupRoot: h.cgroupRoot,
    hooks: h.hooks,
    intervalMs: h.intervalMs,
    sockscopeVersion: h.sockscopeVersion,
    file,
  };
}
