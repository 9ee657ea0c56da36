// bench/deploy: Homeport's built-in proxy against nginx proxy_pass and the app itself, then 20 back-to-back
// deploys under a request stream: the switch after healthy and the failed requests.

import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { formatNumber } from '../lib/table.js';
import type { Benchmark } from '../lib/types.js';
import { startNginxPeer, startNodeProxyPeer } from './nginx-peer.js';
import {
  createStage,
  deployTag,
  liveUpstream,
  PROJECT,
  pushDeployImages,
  STAGE,
  STAGE_CONFIG,
  setUpDeploy,
} from './setup.js';
import { measureDeploys } from './switch.js';
import { measureThroughput } from './throughput.js';

/** Back-to-back deploys measured under load; one more (the first) is deployed before anything is measured. */
const DEPLOYS = 20;

export const benchmark: Benchmark = {
  name: 'deploy',
  description:
    'built-in proxy vs nginx proxy_pass vs the app; switch after healthy and failed requests over 20 deploys under load',
  async run(context) {
    const setup = await setUpDeploy(context.workDir);
    const logFile = join(context.workDir, 'homeport.log');
    context.log(
      `homeport ${setup.homeport.url} (pid ${setup.homeport.process.pid}), ${Object.entries(setup.env)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}; dockerd ${setup.dockerd.dockerHost}, registry ${setup.registry.host}`,
    );
    try {
      const started = Date.now();
      const tags = await pushDeployImages(setup.registry, DEPLOYS + 1);
      // The served version of each tag: v1, v2, v1, … (pushDeployImages alternates them the same way).
      const versions = tags.map((_, n) => (n % 2 === 0 ? 'v1' : 'v2'));
      context.log(
        `pushed ${tags.length} node images (${tags[0]}…${tags.at(-1)}) in ${Date.now() - started} ms; stage ` +
          `${PROJECT}/${STAGE}: ${JSON.stringify({ ...STAGE_CONFIG, image: undefined })}`,
      );
      await createStage(setup);
      const first = await deployTag(setup, tags[0] ?? '');
      if (first.status !== 'succeeded')
        throw new Error(`first deploy ${first.status}: ${JSON.stringify(first.error)}`);
      const app = await liveUpstream(setup);
      const peer = await startNginxPeer(context.workDir, app);
      const nodePeer = await startNodeProxyPeer(app);
      context.log(
        `app: node image ${tags[0]} in its container at ${app}; Homeport proxy ${setup.proxyUrl}; nginx ${peer.url} ` +
          `(testkit nginx: worker_processes auto, access_log off, keepalive_requests 1000000) with:\n${peer.config.trimEnd()}\n` +
          `peers: Homeport proxy HOMEPORT_PROXY_WORKERS=${setup.env.HOMEPORT_PROXY_WORKERS} (${availableParallelism()} cores: ` +
          `one worker process per core); nginx worker_processes auto (one per core); bare node:http proxy one process`,
      );
      try {
        const figures = [
          ...(await measureThroughput(context, {
            direct: app,
            proxy: setup.proxyUrl,
            nginx: peer.url,
            node: nodePeer.url,
          })),
          ...(await measureDeploys(context, setup, { tags: tags.slice(1), versions })),
        ];
        context.log(
          `homeport log: ${formatNumber(statSync(logFile).size / 1024 / 1024, 1)} MiB written during the run`,
        );
        return figures;
      } finally {
        await peer.nginx.daemon.stop();
        await nodePeer.process.stop();
      }
    } finally {
      await setup.close();
    }
  },
};
