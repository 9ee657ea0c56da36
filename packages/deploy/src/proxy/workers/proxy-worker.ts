// Entry of a proxy worker process (node:cluster runs this file; the bundle builds it as dist/proxy-worker.js):
// loads only the proxy's serving code, not the CLI.

import { runProxyWorker } from './worker-main.js';

runProxyWorker();
