package kvmuf.bench;

/**
 * What touches the pages: vCPUs running the guest agent ({@link VcpuToucher}) or host threads
 * ({@link ThreadToucher}). Worker i calls {@link #prepare} and then {@link #touch} on its own thread, so a
 * fault blocks exactly the thread that a uffd event names.
 */
interface Toucher extends AutoCloseable {
  /** Before the start signal, on worker i's thread (untimed): e.g. run the vCPU to its first command. */
  void prepare(int i);

  /** Touches every page of chunk i once, in order; returns how many pages were touched. Timed. */
  long touch(int i);

  /** Faults worker i resolved itself (KVM Userfault exits); 0 where readers resolve them. */
  long selfResolved(int i);

  @Override
  void close();
}
