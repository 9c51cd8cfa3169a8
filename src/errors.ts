// Expected failures are types, not strings. The CLI prints `message` as one line and
// exits with `exitCode` (CONTRACT.md); anything else is a bug and keeps its stack trace.

export abstract class SockscopeError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Exit 1: a runtime failure that is not a bug (disk full, a child that died...). */
export class RuntimeError extends SockscopeError {
  readonly exitCode = 1;
}

/** Exit 2: bad command line. */
export class UsageError extends SockscopeError {
  readonly exitCode = 2;
}

/** Exit 3: not root, no CAP_BPF / CAP_PERFMON. */
export class PermissionError extends SockscopeError {
  readonly exitCode = 3;
}

/** Exit 4: the kernel lacks something (BTF, a tracepoint, ring buffer...). */
export class NotSupportedError extends SockscopeError {
  readonly exitCode = 4;
}

/** Exit 4: libbpf.so.1 (or another shared library) cannot be loaded. */
export class LibraryMissingError extends SockscopeError {
  readonly exitCode = 4;
}

/** Exit 5: a recording that is truncated, corrupted, foreign or too new. */
export class BadFileError extends SockscopeError {
  readonly exitCode = 5;
}
