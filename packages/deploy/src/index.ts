// Public surface of @homeport/deploy: the module, its settings and API key, and the types its clients use.

export { DeployError, type DeployErrorCode } from './errors.js';
export type * from './model.js';
export {
  createDeployModule,
  DEPLOY,
  DEPLOYS_TOPIC,
  type DeployApi,
  type DeployModuleOptions,
} from './module.js';
export type { DeployService, PushEvent, StageStatus } from './service.js';
export { deploySettings } from './settings.js';
