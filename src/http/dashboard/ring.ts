// The dashboard's event log: a bounded ring of numbered events, so an SSE
// client that reconnects with Last-Event-ID gets exactly what it missed, or
// is told to start over when that has already left the ring. Pure.

export interface Numbered<T> {
  readonly id: number;
  readonly data: T;
}

export class EventRing<T> {
  private readonly items: Numbered<T>[] = [];
  private next = 1;

  constructor(private readonly capacity = 500) {}

  push(data: T): Numbered<T> {
    const item = { id: this.next++, data };
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
    return item;
  }

  /**
   * Events after `lastId`. complete is false when some of them are gone (the
   * client missed more than the ring holds); then everything held is returned.
   */
  since(lastId: number | undefined): { complete: boolean; events: Numbered<T>[] } {
    if (lastId === undefined || !Number.isInteger(lastId) || lastId < 0 || lastId >= this.next) {
      return { complete: lastId === undefined, events: [...this.items] };
    }
    const oldest = this.items[0]?.id ?? this.next;
    const events = this.items.filter((e) => e.id > lastId);
    return { complete: lastId + 1 >= oldest, events };
  }
}
