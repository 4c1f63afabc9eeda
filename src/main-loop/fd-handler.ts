// The main loop's file-descriptor handlers (QEMU's qemu_set_fd_handler / aio_set_fd_handler):
// a chardev (socket, later QMP) says which of its host fds it wants to hear about, and the
// loop calls back when one is readable or writable. The loop's fd monitor is a host service
// (src/host/node: fdmon-io_uring on the AioContext's ring, or fdmon-poll on libuv), injected.

/** Called on the main loop when the fd is ready (or has an error/hangup, for read handlers). */
export type IOHandler = () => void;

export interface FdMonitor {
  /** 'io_uring' or 'poll': which monitor this is (-d says it). */
  readonly name: string;
  /**
   * Watch `fd` for reading (ioRead) and/or writing (ioWrite); a null handler stops that
   * direction, both null forget the fd (do this before closing it). Level-triggered: a
   * handler keeps being called while the condition holds and the handler is set.
   */
  setFdHandler(fd: number, ioRead: IOHandler | null, ioWrite: IOHandler | null): void;
}
