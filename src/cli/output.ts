/**
 * Where the CLI speaks: JSON lines on stdout with --json; otherwise human lines on stdout and a
 * live progress line on stderr when it is a terminal.
 */
export class Output {
  private progressShown = false;

  constructor(readonly json: boolean, private readonly stdout = process.stdout, private readonly stderr = process.stderr) {}

  /** A JSON event (with --json) or its human text, if one is given. */
  event(payload: Record<string, unknown>, human?: () => string): void {
    if (this.json) {
      this.stdout.write(JSON.stringify(payload) + '\n');
    } else if (human) {
      this.clearProgress();
      this.stdout.write(human() + '\n');
    }
  }

  progress(line: string): void {
    if (this.json || !this.stderr.isTTY) return;
    const width = this.stderr.columns || 100;
    this.stderr.write('\r' + line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length)) + '\x1b[K');
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.stderr.write('\r\x1b[K');
    this.progressShown = false;
  }

  error(message: string): void {
    this.clearProgress();
    this.stderr.write(`charm: ${message}\n`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
