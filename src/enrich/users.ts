// User and group names from the host's /etc/passwd and /etc/group, parsed here rather than
// through getpwuid(3): Node has no binding for it, and the files to read must be
// injectable (a fixture tree in tests, the host's /etc when sockscope runs in a container).
// NSS sources (LDAP, sssd) are not consulted; such uids stay nameless.
import { readFileSync, statSync } from 'node:fs';

/** id -> name from passwd or group text: `name:x:id:...`. The first line for an id wins,
 * as getpwuid(3) returns the first match. Comments, blanks, NIS `+`/`-` lines and
 * malformed lines are skipped. */
export function parseIdFile(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 3 || fields[0] === '' || !/^\d+$/.test(fields[2])) continue;
    const id = Number(fields[2]);
    if (!names.has(id)) names.set(id, fields[0]);
  }
  return names;
}

/** One id file, re-read when its mtime (or size) changes. The stat is rate-limited so that
 * lookups on a hot path cost a Map access, not a syscall. */
class IdFile {
  private names = new Map<number, string>();
  private version = '';
  private lastCheckMs = -Infinity;

  constructor(
    private readonly path: string,
    private readonly now: () => number,
    private readonly checkEveryMs: number,
  ) {}

  name(id: number): string | null {
    this.refresh();
    return this.names.get(id) ?? null;
  }

  private refresh(): void {
    const t = this.now();
    if (t - this.lastCheckMs < this.checkEveryMs) return;
    this.lastCheckMs = t;
    let version: string;
    try {
      const st = statSync(this.path);
      version = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      version = 'missing';
    }
    if (version === this.version) return;
    this.version = version;
    try {
      this.names = parseIdFile(readFileSync(this.path, 'utf8'));
    } catch {
      this.names = new Map();
    }
  }
}

export interface UserDbOptions {
  etcRoot: string;
  /** Clock in ms for rate-limiting the mtime checks. */
  now: () => number;
  checkEveryMs?: number;
}

export class UserDb {
  private readonly passwd: IdFile;
  private readonly group: IdFile;

  constructor(opts: UserDbOptions) {
    const every = opts.checkEveryMs ?? 1000;
    this.passwd = new IdFile(`${opts.etcRoot}/passwd`, opts.now, every);
    this.group = new IdFile(`${opts.etcRoot}/group`, opts.now, every);
  }

  userName(uid: number): string | null {
    return this.passwd.name(uid);
  }

  groupName(gid: number): string | null {
    return this.group.name(gid);
  }
}
