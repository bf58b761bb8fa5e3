/** Results are written in groups this large, or after this long, so a crash re-sends little. */
const FLUSH_SIZE = 256;
const FLUSH_AFTER_MS = 20;

/** Collects results and writes them in groups, one write at a time, in arrival order. */
export class Flusher<T> {
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private error: unknown;

  constructor(private readonly write: (group: T[]) => Promise<void>) {}

  add(item: T): void {
    this.buffer.push(item);
    if (this.buffer.length >= FLUSH_SIZE) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.buffer.length) return;
    const group = this.buffer;
    this.buffer = [];
    this.chain = this.chain.then(() => this.write(group)).catch((err: unknown) => {
      this.error ??= err;
    });
  }

  /** Writes what is left; throws the first write error so the job is retried (its rows are re-claimable). */
  async close(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.error !== undefined) throw this.error;
  }
}
