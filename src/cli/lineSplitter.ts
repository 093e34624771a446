/**
 * Splits a byte stream into UTF-8 lines with a bound on a line's length, so that a client that
 * never sends a newline (or sends a huge line) costs at most `maxBytes` of memory: the rest of an
 * over-long line is dropped as it arrives and the line is reported as too long.
 */

export type SplitLine = { kind: 'line'; text: string } | { kind: 'tooLong'; bytes: number };

const NEWLINE = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes of the current line seen so far when it is over the bound (its text is not kept). */
  private dropped = 0;

  constructor(private readonly maxBytes: number) {}

  /** The lines completed by `chunk`, in order. */
  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) {
        this.keep(chunk.subarray(start));
        break;
      }
      this.keep(chunk.subarray(start, end));
      lines.push(this.take());
      start = end + 1;
    }
    return lines;
  }

  /** The last line when the stream ends without a newline, if any. */
  end(): SplitLine | undefined {
    return this.size > 0 || this.dropped > 0 ? this.take() : undefined;
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.dropped > 0 || this.size + bytes.length > this.maxBytes) {
      this.dropped += this.size + bytes.length;
      this.parts = [];
      this.size = 0;
      return;
    }
    // A copy: the stream may reuse the chunk's memory.
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
  }

  private take(): SplitLine {
    const line: SplitLine =
      this.dropped > 0 ? { kind: 'tooLong', bytes: this.dropped } : { kind: 'line', text: stripCr(Buffer.concat(this.parts, this.size).toString('utf8')) };
    this.parts = [];
    this.size = 0;
    this.dropped = 0;
    return line;
  }
}

/** Clients on Windows may end lines with CRLF. */
function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
