/**
 * Loads @tensorflow/tfjs-node from a folder of its own (where "Charm: Install Native Backend" or
 * `npm install --prefix DIR` put it), named by env CHARM_NATIVE_MODULES.
 *
 * npm installs tfjs-node there with its own copy of @tensorflow/tfjs and tfjs-core. Loaded as is,
 * tfjs-node would register its 'tensorflow' backend on that second tfjs-core, which the engine
 * never sees. So while the folder is in use, every request for a tfjs package (other than
 * tfjs-node itself) made from inside the folder resolves to the engine's own copy: one tfjs-core
 * per process, whatever the folder holds.
 */
import Module from 'node:module';
import * as path from 'node:path';
import { nativePackageIn } from '../util/nativePackage';

/** tfjs packages the engine provides; tfjs-node and tfjs-node-gpu stay the folder's own. */
const SHARED = /^@tensorflow\/tfjs(-core|-layers|-converter|-data|-backend-cpu|-backend-webgl)?(\/.*)?$/;

type Resolve = (request: string, parent: NodeModule | undefined, isMain: boolean, options?: unknown) => string;
// Node's internal CommonJS resolver (undocumented, stable for years): the usual seam to redirect requires made inside a package.
const loader = Module as unknown as { _resolveFilename: Resolve };

const redirected = new Set<string>();
let hooked = false;

function inside(file: string | undefined, folder: string): boolean {
  return file !== undefined && (file === folder || file.startsWith(folder + path.sep));
}

/** Installs (once) the redirection of tfjs requests made from inside the given folders to the engine's copies. */
function redirectTfjs(folder: string): void {
  redirected.add(folder);
  if (hooked) return;
  hooked = true;
  const original = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    if (SHARED.test(request) && [...redirected].some((f) => inside(parent?.filename, f))) {
      // Resolved from this module, i.e. from where the engine's own tfjs is found.
      return require.resolve(request);
    }
    return original.call(this, request, parent, isMain, options);
  };
}

/**
 * Requires tfjs-node from `folder` so that it registers its backend on the engine's tfjs.
 * Returns its name and version; undefined when the folder holds none; throws what loading threw.
 */
export function loadNativeFrom(folder: string): { name: string; version: string } | undefined {
  const found = nativePackageIn(path.resolve(folder));
  if (!found) return undefined;
  redirectTfjs(path.resolve(folder));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package found at run time, outside the bundle
  require(found.dir);
  return { name: found.name, version: found.version };
}
