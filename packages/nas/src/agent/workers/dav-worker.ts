// Entry of a WebDAV worker process (node:cluster runs this file; the bundle builds it as dist/dav-worker.js):
// loads only the agent's serving code, not the CLI.

import { runDavWorker } from './worker-main.js';

runDavWorker();
