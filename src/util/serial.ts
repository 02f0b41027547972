// A one-at-a-time queue for async work (a mutex as a promise chain).
// Guarantees tasks run in submission order and never overlap; one failure does not block the next.
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.depth++;
    const next = this.tail.then(task, task);
    this.tail = next.then(
      () => this.depth--,
      () => this.depth--,
    );
    return next;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.depth;
  }

  /** Resolves when everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
