// Key bindings are data: this one table drives input handling, the footer hints and the
// help screen, so they cannot disagree. Habits from top/htop: q, /, ?, arrows, j/k, Tab,
// Enter, Esc, space. Letters sort by the column that shows them in its header (`PID(i)`),
// so replay controls use p and punctuation, which no column uses.
import { COLUMNS, headerText, type ColumnId } from '../core/select/columns';

export type Action =
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'filter' }
  | { type: 'freeze' }
  | { type: 'group-next' }
  | { type: 'open' }
  | { type: 'back' }
  | { type: 'move'; delta: number }
  | { type: 'page'; dir: 1 | -1 }
  | { type: 'home' }
  | { type: 'end' }
  | { type: 'sort'; column: ColumnId }
  | { type: 'replay-pause' }
  | { type: 'replay-speed'; dir: 1 | -1 }
  | { type: 'replay-step'; dir: 1 | -1 }
  | { type: 'replay-seek'; dir: 1 | -1 }
  | { type: 'replay-start' }
  | { type: 'replay-end' }
  | { type: 'record' };

/** A key: a character as typed, or a named key from Ink's `Key`, optionally with Ctrl. */
export type KeySpec = string | { name: NamedKey; ctrl?: boolean } | { ctrl: string };
export type NamedKey = 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'return' | 'escape' | 'tab';

export type Section = 'general' | 'navigate' | 'view' | 'sort' | 'replay' | 'live';
export type Mode = 'live' | 'replay';

export interface Binding {
  keys: KeySpec[];
  action: Action;
  help: string;
  section: Section;
  /** Only in this mode. */
  mode?: Mode;
  /** Short label for the footer; bindings without one are in the help screen only. */
  hint?: string;
  /** How the footer names the key(s), when not the first key's label. */
  hintKey?: string;
}

/** The subset of Ink's `Key` we read. */
export interface KeyState {
  upArrow: boolean; downArrow: boolean; leftArrow: boolean; rightArrow: boolean;
  pageUp: boolean; pageDown: boolean; home: boolean; end: boolean;
  return: boolean; escape: boolean; tab: boolean; ctrl: boolean; meta: boolean; shift: boolean;
  backspace: boolean; delete: boolean;
}

export const BINDINGS: readonly Binding[] = [
  { keys: ['q', { ctrl: 'c' }], action: { type: 'quit' }, help: 'quit', section: 'general', hint: 'quit' },
  { keys: ['?', 'h'], action: { type: 'help' }, help: 'this help (any key closes it)', section: 'general', hint: 'help' },
  { keys: ['/'], action: { type: 'filter' }, help: 'filter: port:443 proc:nginx container:3f2a user:www-data pid:123 state:established host:10.0. tcp udp, free text; -term excludes', section: 'view', hint: 'filter' },
  { keys: [{ name: 'tab' }], action: { type: 'group-next' }, help: 'group by: flows, process, container (pod), user, remote host', section: 'view', hint: 'group' },
  { keys: [{ name: 'return' }], action: { type: 'open' }, help: 'open: a group shows its flows, a flow its details', section: 'view', hint: 'open' },
  { keys: [{ name: 'escape' }], action: { type: 'back' }, help: 'back up one level (at the top: clear the filter)', section: 'view', hint: 'back' },
  { keys: [' '], action: { type: 'freeze' }, help: 'freeze / unfreeze the view (data keeps being collected)', section: 'view', hint: 'freeze' },
  { keys: [{ name: 'upArrow' }, 'k'], action: { type: 'move', delta: -1 }, help: 'up', section: 'navigate' },
  { keys: [{ name: 'downArrow' }, 'j'], action: { type: 'move', delta: 1 }, help: 'down', section: 'navigate' },
  { keys: [{ name: 'pageUp' }, { ctrl: 'b' }], action: { type: 'page', dir: -1 }, help: 'page up', section: 'navigate' },
  { keys: [{ name: 'pageDown' }, { ctrl: 'f' }], action: { type: 'page', dir: 1 }, help: 'page down', section: 'navigate' },
  { keys: [{ name: 'home' }, 'g'], action: { type: 'home' }, help: 'first row', section: 'navigate' },
  { keys: [{ name: 'end' }, 'G'], action: { type: 'end' }, help: 'last row', section: 'navigate' },
  ...COLUMNS.map((c): Binding => ({
    keys: [c.sortKey], action: { type: 'sort', column: c.id }, help: `sort by ${headerText(c)}; again inverts`, section: 'sort',
  })),
  { keys: ['p'], action: { type: 'replay-pause' }, help: 'pause / play', section: 'replay', mode: 'replay', hint: 'pause' },
  { keys: ['+', '='], action: { type: 'replay-speed', dir: 1 }, help: 'play faster (x2)', section: 'replay', mode: 'replay', hint: 'speed', hintKey: '+/-' },
  { keys: ['-', '_'], action: { type: 'replay-speed', dir: -1 }, help: 'play slower (/2)', section: 'replay', mode: 'replay' },
  { keys: ['.'], action: { type: 'replay-step', dir: 1 }, help: 'step one interval forward (pauses)', section: 'replay', mode: 'replay', hint: 'step', hintKey: ',/.' },
  { keys: [','], action: { type: 'replay-step', dir: -1 }, help: 'step one interval back (pauses)', section: 'replay', mode: 'replay' },
  { keys: [{ name: 'rightArrow' }], action: { type: 'replay-seek', dir: 1 }, help: 'seek forward 10 intervals', section: 'replay', mode: 'replay', hint: 'seek', hintKey: '←/→' },
  { keys: [{ name: 'leftArrow' }], action: { type: 'replay-seek', dir: -1 }, help: 'seek back 10 intervals', section: 'replay', mode: 'replay' },
  { keys: ['<'], action: { type: 'replay-start' }, help: 'jump to the start', section: 'replay', mode: 'replay', hint: 'start/end', hintKey: '</>' },
  { keys: ['>'], action: { type: 'replay-end' }, help: 'jump to the end', section: 'replay', mode: 'replay' },
  { keys: ['R'], action: { type: 'record' }, help: 'start / stop recording this live session to a file', section: 'live', mode: 'live', hint: 'record' },
];

export function keyMatches(spec: KeySpec, input: string, key: KeyState): boolean {
  if (typeof spec === 'string') return input === spec && !key.ctrl && !key.meta;
  if ('name' in spec) return key[spec.name] === true && (spec.ctrl ?? false) === key.ctrl;
  return key.ctrl && input.toLowerCase() === spec.ctrl;
}

/** The binding a key press means in this mode, if any. */
export function findBinding(input: string, key: KeyState, mode: Mode): Binding | undefined {
  return BINDINGS.find((b) => (!b.mode || b.mode === mode) && b.keys.some((k) => keyMatches(k, input, key)));
}

export function keyLabel(spec: KeySpec): string {
  if (typeof spec === 'string') return spec === ' ' ? 'space' : spec;
  if ('name' in spec) return NAMED_LABEL[spec.name];
  return `^${spec.ctrl.toUpperCase()}`;
}

const NAMED_LABEL: Record<NamedKey, string> = {
  upArrow: '↑', downArrow: '↓', leftArrow: '←', rightArrow: '→', pageUp: 'PgUp', pageDown: 'PgDn',
  home: 'Home', end: 'End', return: 'Enter', escape: 'Esc', tab: 'Tab',
};

export const SECTION_TITLE: Record<Section, string> = {
  general: 'General', navigate: 'Move', view: 'View', sort: 'Sort (the key is shown in each column header)',
  replay: 'Replay', live: 'Live',
};

export function bindingsFor(mode: Mode): Binding[] {
  return BINDINGS.filter((b) => !b.mode || b.mode === mode);
}

/** The footer: `q quit  ? help  / filter ...`, only bindings with a hint. */
export function footerHints(mode: Mode): Array<{ key: string; label: string }> {
  return bindingsFor(mode)
    .filter((b) => b.hint)
    .map((b) => ({ key: b.hintKey ?? keyLabel(b.keys[0]), label: b.hint! }));
}
