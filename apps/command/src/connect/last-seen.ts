/**
 * Devices seen by connects, written together: one UPDATE per interval instead of one per connect. Only the
 * newest time per device is kept. Nothing needs `last_seen_at` to the second: the silent-device sweep compares
 * it with SILENT_DEVICE_SECONDS (hours) and the device list shows it. A write that fails is retried with the
 * next flush (a newer time for the same device wins).
 */
export class LastSeenBuffer {
  private pending = new Map<string, Date>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (ids: string[], seenAt: Date[]) => Promise<void>,
    private readonly onError: (err: unknown, devices: number) => void,
    private readonly intervalMs = 1000,
    /** Flush early when this many devices wait, so one statement stays small. */
    private readonly maxPending = 10_000,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  mark(deviceId: string, at: Date = new Date()): void {
    const known = this.pending.get(deviceId);
    if (!known || known < at) this.pending.set(deviceId, at);
    if (this.pending.size >= this.maxPending) void this.flush();
  }

  /** Takes what is pending now and writes it after any write in progress (one at a time); resolves when written or failed. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.flushing;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(() => this.writeBatch(batch));
    return this.flushing;
  }

  private async writeBatch(batch: Map<string, Date>): Promise<void> {
    // Sorted ids: two replicas flushing overlapping devices lock the rows in the same order.
    const ids = [...batch.keys()].sort();
    try {
      await this.write(ids, ids.map((id) => batch.get(id)!));
    } catch (err) {
      for (const [id, at] of batch) {
        const newer = this.pending.get(id);
        if (!newer || newer < at) this.pending.set(id, at);
      }
      this.onError(err, ids.length);
    }
  }
}
