/**
 * Run-time checks of messages that cross a process or frame boundary as JSON (Node IPC with the
 * child processes, postMessage with the model view): each message type names the fields it needs
 * and their kinds, so a message from an older or broken peer is dropped instead of crashing the
 * receiver. Shallow on purpose: nested objects are checked by their own shapes where it matters.
 */

export type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'number|null' | 'string?' | 'number?' | 'object?' | 'array?';

export type Shape = Record<string, FieldKind>;

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `value` is an object whose fields have the kinds `shape` names (other fields are ignored). */
export function matchesShape(value: unknown, shape: Shape): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return Object.entries(shape).every(([key, kind]) => {
    const v = o[key];
    switch (kind) {
      case 'array':
        return Array.isArray(v);
      case 'object':
        return isPlainObject(v);
      case 'number|null':
        return v === null || typeof v === 'number';
      case 'string?':
        return v === undefined || typeof v === 'string';
      case 'number?':
        return v === undefined || typeof v === 'number';
      case 'object?':
        return v === undefined || isPlainObject(v);
      case 'array?':
        return v === undefined || Array.isArray(v);
      default:
        return typeof v === kind;
    }
  });
}

/** A type guard for a union of `{ type: ... }` messages, from one shape per type. */
export function messageGuard<T extends { type: string }>(table: Record<T['type'], Shape>): (value: unknown) => value is T {
  return (value: unknown): value is T => {
    if (typeof value !== 'object' || value === null) return false;
    const type = (value as { type?: unknown }).type;
    return typeof type === 'string' && Object.prototype.hasOwnProperty.call(table, type) && matchesShape(value, (table as Record<string, Shape>)[type]);
  };
}
