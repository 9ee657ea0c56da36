// Where the build outputs live, found from this file so tests work from any working directory.

import { fileURLToPath } from 'node:url';

/** The repository root (packages/testkit/src → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The server bundle `npm run build -w @homeport/app` writes. */
export const HOMEPORT_BUNDLE = fileURLToPath(
  new URL('../../../apps/homeport/dist/homeport.js', import.meta.url),
);

/** The web UI entry `npm run build -w @homeport/web` writes; the server serves it at `/`. */
export const WEB_UI_INDEX = fileURLToPath(new URL('../../../apps/web/dist/index.html', import.meta.url));
