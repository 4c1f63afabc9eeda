// strerror() texts for Node's errno codes, so host failures read as QEMU's do
// ("Could not open 'x': No such file or directory"), not as Node's error messages.
const TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', EEXIST: 'File exists', EINVAL: 'Invalid argument',
  EROFS: 'Read-only file system', ENOSPC: 'No space left on device', EBUSY: 'Device or resource busy',
  ENXIO: 'No such device or address', ENODEV: 'No such device', EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long', ELOOP: 'Too many levels of symbolic links', EIO: 'Input/output error',
  EADDRINUSE: 'Address already in use', ECONNREFUSED: 'Connection refused', ETXTBSY: 'Text file busy',
  EFBIG: 'File too large', ENOMEM: 'Cannot allocate memory', EAGAIN: 'Resource temporarily unavailable',
};

export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && TEXT[code]) return TEXT[code];
  return e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '') : String(e);
}
