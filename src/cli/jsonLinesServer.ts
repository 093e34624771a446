/**
 * Serves JSON lines over a pair of streams: one reply per request line, in order, one request at a
 * time (a queue), so a burst of lines is answered in the order it came. Ends when the input ends and
 * every queued line is answered, when the output is closed (EPIPE: nobody is reading, so stop
 * quietly), or when `signal` aborts (after the request being answered).
 */
import { LineSplitter, SplitLine } from './lineSplitter';

/** Lines longer than this are answered with an error and never held in memory. */
export const MAX_LINE_BYTES = 1 << 20;

/** Reading pauses while this many lines wait, so a client writing faster than we answer costs bounded memory. */
const PAUSE_AT = 256;

export type Answer = (line: SplitLine) => Promise<Record<string, unknown>>;

export function serveJsonLines(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, answer: Answer, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    const queue: SplitLine[] = [];
    let running = false;
    let inputEnded = false;
    let stopped = false;
    let wakeWriter: (() => void) | undefined;

    const stop = (error?: Error) => {
      if (stopped) return;
      stopped = true;
      queue.length = 0;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      signal?.removeEventListener('abort', onAbort);
      // Nothing more will be read: let go of stdin so the process can exit.
      (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      wakeWriter?.();
      if (error) reject(error);
      else resolve();
    };

    const onData = (chunk: Buffer | string) => {
      for (const line of splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) enqueue(line);
    };
    const onEnd = () => {
      const last = splitter.end();
      if (last) enqueue(last);
      inputEnded = true;
      void pump();
    };
    const onAbort = () => {
      if (!running) stop();
      else inputEnded = true;
      queue.length = 0;
    };
    const onOutputError = (error: NodeJS.ErrnoException) => {
      // The reader went away: there is nobody to answer (and nothing to report to).
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') stop();
      else stop(error);
    };

    const enqueue = (line: SplitLine) => {
      // Blank lines (e.g. a trailing newline typed by hand) are not requests.
      if (line.kind === 'line' && line.text.trim() === '') return;
      queue.push(line);
      if (queue.length >= PAUSE_AT) input.pause();
      void pump();
    };

    const write = async (reply: Record<string, unknown>) => {
      if (output.write(JSON.stringify(reply) + '\n')) return;
      await new Promise<void>((wake) => {
        wakeWriter = wake;
        output.once('drain', wake);
      });
      wakeWriter = undefined;
    };

    const pump = async () => {
      if (running || stopped) return;
      running = true;
      try {
        while (queue.length > 0 && !stopped) {
          const line = queue.shift() as SplitLine;
          if (queue.length < PAUSE_AT / 2 && !inputEnded) input.resume();
          const reply = await answer(line);
          if (stopped) return;
          await write(reply);
        }
      } catch (error) {
        stop(error as Error);
        return;
      } finally {
        running = false;
      }
      if (inputEnded || signal?.aborted) stop();
    };

    output.on('error', onOutputError);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', (error: Error) => stop(error));
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', onAbort);
  });
}
