// The deploy repositories on the KV port (HOMEPORT_STORE=kv), with what SQL's transactions and foreign keys
// gave made explicit: the contract is written on each method in repositories.ts, and one suite holds both
// stores to it.
//
// Key layout. Buckets are `deploy_<name>`, one per aggregate; `<x>` is one key token made from the text x
// (base64url, or a digest past 200 characters). Every write of a document that exists is a compare-and-set
// at the revision read, retried on conflict; unique index keys are taken with `create` before the record
// they name is written, confirmed after, and taken over only when their record does not use them and they
// are older than INDEX_GRACE_MS (a writer that died between its two writes).
//
//   deploy_projects
//     project.<id>                  { record, removing? }   removal marks first, then checks for stages
//     name.<name>                   { id, atMs }            unique project name
//   deploy_stages
//     stage.<id>                    { record, removing? }   removal marks first, then checks for deploys
//     name.<project>.<name>         { id, atMs }            unique stage name per project
//     host.<host lower-cased>       { id, atMs }            unique public host
//     project.<project>.<id>        {}                      a project's stages
//   deploy_live
//     live.<stage>                  StageLive               last write wins (the stage's running deploy)
//   deploy_releases
//     release.<id>                  ReleaseRecord
//     counter.<stage>               { seq }                 compare-and-set: each seq handed out once
//     seq.<stage>.<seq>             { id }                  `create`; listings walk down from the counter
//     digest.<stage>.<digest>.<rev> { id }                  `find`
//   deploy_deploys
//     deploy.<id>                   DeployRecord
//     counter.<stage>, seq.<stage>.<seq>                    as for releases
//     active.<stage>.<seq>          { id, atMs }            queued or running: the queue reads only these
//     slot.<stage>                  { deployId, runner, at, claim }  the one deploy that may run (kv-queue.ts)
//   deploy_logs
//     head.<log>, chunk.<log>.<id>                          kv-logs.ts
//   deploy_webhooks (entries age out after WEBHOOK_CLAIM_RETENTION_MS: the bucket's max age)
//     event.<key>                   { expiresAtMs }         `create`, or compare-and-set over an expired one
//
// Where a change spans keys, a reader may see it half-made for a moment (a stage created, its host key not
// yet confirmed; a deploy queued and the automatic ones it supersedes still queued). Removals mark their
// document first and finish what a removal cut short on the next call; a create that finds the mark of its
// parent (a project's stage, a stage's deploy or release) takes itself back.
//
// What this relies on from the server: a compare-and-set (and `create`) admits one of two concurrent
// writers (a single server does; a cluster from nats-server 2.9.21, nats-io/nats-server#4320), and a read
// sees every acknowledged write (core's port reads from each stream's leader).

import type { KvStore } from '@homeport/core';
import { hasActiveDeploys, kvDeployRepository, removeStageDeploys } from './kv-deploys.js';
import { kvLogRepository, kvWebhookEventRepository, WEBHOOK_CLAIM_RETENTION_MS } from './kv-logs.js';
import { kvProjectRepository } from './kv-projects.js';
import { kvReleaseRepository, removeStageReleases } from './kv-releases.js';
import { kvLiveRepository, kvStageRepository, projectHasStages } from './kv-stages.js';
import type { DeployStore, DeployStoreOptions } from './repositories.js';
import { logBounds } from './store-checks.js';

/**
 * The deploy store on JetStream KV (or any KvStore): opens its buckets, then builds the repositories.
 *
 * @example
 *   const kv = createJetStreamKv({ kvm: new Kvm(nc), module: 'deploy', replicas: 3 });
 *   const store = await createKvDeployStore(kv, { maxDeployLogLines: 5_000 });
 */
export async function createKvDeployStore(
  kv: KvStore,
  options: DeployStoreOptions = {},
): Promise<DeployStore> {
  const bounds = logBounds(options);
  const [
    projectsBucket,
    stagesBucket,
    liveBucket,
    releasesBucket,
    deploysBucket,
    logsBucket,
    webhooksBucket,
  ] = await Promise.all([
    kv.bucket('projects'),
    kv.bucket('stages'),
    kv.bucket('live'),
    kv.bucket('releases'),
    kv.bucket('deploys'),
    kv.bucket('logs'),
    kv.bucket('webhooks', { maxAgeMs: WEBHOOK_CLAIM_RETENTION_MS }),
  ]);
  const logs = kvLogRepository(logsBucket, bounds);
  const live = kvLiveRepository(liveBucket, stagesBucket);
  const stages = kvStageRepository(stagesBucket, projectsBucket, {
    hasActiveDeploys: (stageId) => hasActiveDeploys(deploysBucket, stageId),
    async removeOwned(stageId) {
      await live.clear(stageId);
      await removeStageDeploys(deploysBucket, stageId, (deploy) =>
        logs.remove({ kind: 'deploy', id: deploy.id }),
      );
      await removeStageReleases(releasesBucket, stageId, (release) =>
        logs.remove({ kind: 'runtime', releaseId: release.id }),
      );
    },
  });
  const stageIds = async (projectId?: string) => (await stages.list(projectId)).map((stage) => stage.id);
  return {
    projects: kvProjectRepository(projectsBucket, {
      hasStages: (projectId) => projectHasStages(stagesBucket, projectId),
    }),
    stages,
    live,
    releases: kvReleaseRepository(releasesBucket, stagesBucket),
    deploys: kvDeployRepository(deploysBucket, stagesBucket, stageIds),
    logs,
    webhookEvents: kvWebhookEventRepository(webhooksBucket),
  };
}
