/**
 * Entry of the import process (forked by the extension host for one "Use Model…" import of a
 * Keras or TensorFlow.js model file, built to dist/importProcess.js): runs src/interop's
 * importModel, which loads tfjs, off the extension host, and answers once over Node IPC
 * (protocol.ts). If the host goes away, the process goes too.
 */
import { initBackend } from '../accel';
import { CharmError } from '../errors';
import { importModel } from '../interop/importModel';
import { parameterCount } from '../model/config';
import { HostToImporter, ImporterToHost, isHostToImporter } from './protocol';

let started = false;

function reply(message: ImporterToHost): void {
  const done = () => {
    if (process.connected) process.disconnect();
  };
  if (!process.send || !process.connected) return done();
  process.send(message, undefined, {}, done);
}

function handle(message: HostToImporter): void {
  if (started) return;
  started = true;
  // The cpu backend is enough for copying weights; initBackend also keeps tfjs' banner off stdout.
  initBackend('cpu')
    .then(() => importModel(message.request))
    .then(
      ({ root, meta, vocab }) =>
        reply({
          type: 'imported',
          summary: { format: meta.source?.format ?? 'keras-h5', out: root, vocabularySize: vocab.size, parameters: parameterCount(meta.model) },
        }),
      (e: unknown) => reply({ type: 'failed', message: e instanceof Error ? e.message : String(e), userError: e instanceof CharmError }),
    );
}

process.on('message', (message: unknown) => {
  if (isHostToImporter(message)) handle(message);
});
process.on('disconnect', () => process.exit(0));
