/**
 * How Charm writes numbers for people: one module for the CLI, the status bar, notifications and
 * the model view (a browser bundle: nothing here may import Node or VS Code). A value that is not
 * known (NaN, infinite, negative where that makes no sense) is written '-'.
 */

/** "45s", "1m 35s", "2h 05m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** "1,234,567" (rounded to a whole number). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

/** "1 file", "1,024 files". */
export function plural(n: number, noun: string): string {
  const shown = formatCount(n);
  return `${shown} ${noun}${shown === '1' ? '' : 's'}`;
}

/** "512 B", "1.5 KB", "2.0 MB" (binary units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const kb = (bytes / 1024).toFixed(1);
  if (Number(kb) < 1024) return `${kb} KB`; // 1048575 B is "1.0 MB", not "1024.0 KB"
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A loss in nats/char to three decimals: "1.234". */
export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? '-' : loss.toFixed(3);
}
