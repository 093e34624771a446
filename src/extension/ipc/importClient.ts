/**
 * The host's side of the import process: one forked process per import, one answer. A failure
 * comes back as a CharmError with the importer's one-line message; a crash, with why the process
 * ended; cancelling kills the process (the import writes into a staging folder the caller removes).
 */
import { CharmError } from '../../errors';
import type { ImportRequest } from '../../interop/importModel';
import type { ImportSummary } from '../protocol';
import { HostToImporter, ImporterToHost, isImporterToHost } from '../protocol';
import { ChildChannel, ChildOptions, describeExit } from './childProcess';

export function runImport(child: ChildOptions, request: ImportRequest, signal?: AbortSignal): Promise<ImportSummary> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CharmError('The import was cancelled'));
    const channel = new ChildChannel<HostToImporter, ImporterToHost>(child, isImporterToHost);
    let answered = false;
    const cancel = () => channel.kill();
    signal?.addEventListener('abort', cancel, { once: true });
    channel.onMessage((m) => {
      answered = true;
      signal?.removeEventListener('abort', cancel);
      if (m.type === 'imported') resolve(m.summary);
      else reject(new CharmError(m.userError ? m.message : `The import failed: ${m.message}`));
    });
    channel.onExit((exit) => {
      signal?.removeEventListener('abort', cancel);
      if (answered) return;
      reject(new CharmError(signal?.aborted ? 'The import was cancelled' : `The import process stopped: ${describeExit(exit)}`));
    });
    channel.send({ type: 'import', request });
  });
}
