// isatty(fd) without node:tty: that module loads node:net and with it every stream class, ~15 ms
// of CPU in a process that had none of them (a guest's first ioctl(TCGETS), which most C
// programs make on stdout: start-up round 6). node:tty's isatty is the tty_wrap binding's isTTY
// (libuv's uv_guess_handle), which process.binding still hands out; Node warns that this access
// is deprecated (DEP0111), so the warning is kept quiet for that one call (as v8-flags.ts).
// Where the binding is missing or differs: node:tty.
import { nodeTty } from './lazy-builtin.js';

type IsTty = (fd: number) => boolean;

function pick(): IsTty {
  const p = process as unknown as { binding?: (name: string) => { isTTY?: unknown }; noDeprecation?: boolean };
  const quiet = p.noDeprecation;
  try {
    p.noDeprecation = true;
    const f = p.binding?.('tty_wrap')?.isTTY;
    if (typeof f === 'function') return (fd) => Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff && (f as IsTty)(fd) === true;
  } catch { /* no such binding: below */ } finally {
    p.noDeprecation = quiet;
  }
  return (fd) => nodeTty().isatty(fd);
}

let impl: IsTty | undefined;
/** tty.isatty. */
export function isatty(fd: number): boolean {
  return (impl ??= pick())(fd);
}
