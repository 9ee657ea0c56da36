// The proxy route of a stage's live color, the same wherever it is set: after a switch, a rollback, or when
// the table is rebuilt at start.

import type { Color } from '../model.js';
import type { ProxyRoute } from '../proxy/index.js';

export const upstreamOf = (port: number): string => `http://127.0.0.1:${port}`;

/** `project/stage` as the metrics label; the health path (without its query) left out of the metrics. */
export function stageRoute(options: {
  project: string;
  stage: string;
  port: number;
  releaseId: string;
  color: Color;
  healthPath: string;
}): ProxyRoute {
  return {
    upstream: upstreamOf(options.port),
    stage: `${options.project}/${options.stage}`,
    release: options.releaseId,
    color: options.color,
    excludePaths: [options.healthPath.split('?')[0] ?? options.healthPath],
  };
}
