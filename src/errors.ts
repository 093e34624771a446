/**
 * An error caused by the user's input (files, flags, checkpoints), as opposed to a bug.
 * Front ends print its message as one line, without a stack trace.
 */
export class CharmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CharmError';
  }
}
