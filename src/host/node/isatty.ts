// isatty(fd) without node:tty: that module loads node:net and with it every stream class, ~15 ms
// of CPU in a process that had none of them (a guest's first ioctl(TCGETS), which most C
// programs make on stdout: start-up round 6). node:tty's isatty is the tty_wrap binding's isTTY
// (libuv's uv_guess_handle), which process.binding still hands out; Node warns that this access
// is deprecated (DEP0111): process-binding.ts.
// Where the binding is missing or differs: node:tty.
import { nodeTty } from './lazy-builtin.js';
import { bindingFunction } from './process-binding.js';

type IsTty = (fd: number) => boolean;

function pick(): IsTty {
  const f = bindingFunction('tty_wrap', 'isTTY') as IsTty | undefined;
  if (f) return (fd) => Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff && f(fd) === true;
  return (fd) => nodeTty().isatty(fd);
}

let impl: IsTty | undefined;
/** tty.isatty. */
export function isatty(fd: number): boolean {
  return (impl ??= pick())(fd);
}
