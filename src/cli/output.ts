/**
 * Where the CLI speaks: JSON lines on stdout with --json; otherwise human lines on stdout and a
 * live progress line on stderr when it is a terminal.
 */
export class Output {
  private progressShown = false;
  /** Set when a reader closed stdout (`charm train … | head -1`): printing stops, the work goes on. */
  private stdoutClosed = false;
  private stderrClosed = false;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    // Without a listener an EPIPE (or an EIO from a closed terminal) is an uncaught exception: a
    // stack trace and a lost run. A stream that failed once is not written again.
    stdout.on('error', () => {
      this.stdoutClosed = true;
    });
    stderr.on('error', () => {
      this.stderrClosed = true;
    });
  }

  private write(stream: 'stdout' | 'stderr', text: string): void {
    if (stream === 'stdout' ? this.stdoutClosed : this.stderrClosed) return;
    (stream === 'stdout' ? this.stdout : this.stderr).write(text);
  }

  /** A JSON event (with --json) or its human text, if one is given. */
  event(payload: Record<string, unknown>, human?: () => string): void {
    if (this.json) {
      this.write('stdout', JSON.stringify(payload) + '\n');
    } else if (human) {
      this.clearProgress();
      this.write('stdout', human() + '\n');
    }
  }

  progress(line: string): void {
    if (this.json || !this.stderr.isTTY) return;
    const width = this.stderr.columns || 100;
    this.write('stderr', '\r' + line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length)) + '\x1b[K');
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.write('stderr', '\r\x1b[K');
    this.progressShown = false;
  }

  error(message: string): void {
    this.clearProgress();
    this.write('stderr', `charm: ${message}\n`);
  }

  /** A warning beside a command's one result: on stderr, so stdout stays the result alone. */
  warning(message: string): void {
    this.clearProgress();
    this.write('stderr', `charm: warning: ${message}\n`);
  }
}
