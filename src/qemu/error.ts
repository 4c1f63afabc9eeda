// Error reporting in QEMU's style: "prog: -opt value: what is wrong".
// A QemuError is an expected, user-facing failure (bad option, bad image, bad key); the
// binaries print its message on one line and exit 1, never with a stack trace.

export class QemuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuError';
  }
}

/** Prefix a message with the option it concerns, as QEMU's error_setg + loc does. */
export function optError(option: string, value: string | undefined, what: string): QemuError {
  return new QemuError(value === undefined ? `${option}: ${what}` : `${option} ${value}: ${what}`);
}
