// Bounded capture of a process's output: a server that logs every request must not grow the test's memory,
// and the end of the output is what explains a failure.

/** Keeps the last `limitChars` characters of a text stream. */
export class OutputBuffer {
  private chunks: string[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limitChars: number) {}

  append(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > this.limitChars && this.chunks.length > 1) {
      const oldest = this.chunks.shift() ?? '';
      this.size -= oldest.length;
      this.dropped += oldest.length;
    }
    // One chunk larger than the whole budget: keep only its tail.
    const only = this.chunks[0];
    if (this.chunks.length === 1 && only !== undefined && this.size > this.limitChars) {
      const cut = this.size - this.limitChars;
      this.chunks[0] = only.slice(cut);
      this.size -= cut;
      this.dropped += cut;
    }
  }

  /** The kept text, preceded by a marker when older output was dropped. */
  text(): string {
    const kept = this.chunks.join('');
    return this.dropped > 0 ? `[… ${this.dropped} earlier characters dropped …]\n${kept}` : kept;
  }
}

/** Splits a stream of chunks into whole lines, holding a partial line until its newline arrives. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line.replace(/\r$/, ''));
  }

  /** At end of stream, a last line without a newline still counts. */
  flush(): void {
    if (this.partial !== '') this.onLine(this.partial);
    this.partial = '';
  }
}
