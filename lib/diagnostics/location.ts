import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceLocation } from './diagnostic';

/** The library's own folder (`lib/` in a checkout, `build/lib/` in the package): frames inside it are skipped. */
const LIBRARY_DIR = path.resolve(__dirname, '..');

/**
 * The stack of a construct's creation, kept unformatted: V8 captures the
 * frames when the `Error` is made (cheap) and formats them only when
 * `stack` is read, which happens only for a construct that reports a problem.
 */
export class Origin {
  private readonly error = captureStack();
  private resolved?: SourceLocation | null;

  /** The first frame in the user's code, relative to the repository root; undefined when none is found. */
  public location(env: NodeJS.ProcessEnv = process.env): SourceLocation | undefined {
    if (this.resolved === undefined) this.resolved = userFrame(this.error.stack ?? '', env) ?? null;
    return this.resolved ?? undefined;
  }
}

/**
 * Frames kept per creation stack. V8 keeps 10 by default, and a construct
 * made inside a few user helpers (or a cdk8s-plus wrapper) is deeper than
 * that below the library's own frames: its location would be lost.
 */
const ORIGIN_STACK_FRAMES = 64;

function captureStack(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, ORIGIN_STACK_FRAMES);
  try {
    return new Error();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The first frame of a V8 stack that is neither the library, a dependency nor Node itself. */
export function userFrame(stack: string, env: NodeJS.ProcessEnv = process.env): SourceLocation | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    let file = m[1];
    if (file.startsWith('node:') || !file.includes('/') && !file.includes('\\')) continue;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    file = path.resolve(file);
    if (isInside(file, LIBRARY_DIR) || file.split(path.sep).includes('node_modules')) continue;
    const relative = relativeToRoot(file, env);
    if (!relative) return undefined;
    return { file: relative, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** The folder that locations are relative to: `GITHUB_WORKSPACE`, else the nearest folder holding `.git`, else the working directory. */
export function sourceRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_WORKSPACE) return path.resolve(env.GITHUB_WORKSPACE);
  const cwd = process.cwd();
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/** `file` relative to the source root with `/` separators, or undefined when it lies outside. */
export function relativeToRoot(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = sourceRoot(env);
  if (!isInside(file, root)) return undefined;
  return path.relative(root, file).split(path.sep).join('/');
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
