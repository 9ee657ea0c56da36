// Public surface of @homeport/testkit: start real processes on free loopback ports and stop them by PID.

export { type AgentInstance, type StartAgentOptions, startAgent } from './agent.js';
export { CHROMIUM_ARGS, CHROMIUM_PATH, type LaunchChromiumOptions, launchChromium } from './chromium.js';
export {
  type DockerdInstance,
  type DockerRequestOptions,
  type DockerResponse,
  dockerRequest,
  type StartDockerdOptions,
  startDockerd,
} from './docker.js';
export { TestkitError, type TestkitErrorCode } from './errors.js';
export { freePort } from './free-port.js';
export { type HomeportInstance, type StartHomeportOptions, startHomeport } from './homeport.js';
export {
  LITMUS_GROUPS,
  type LitmusGroupResult,
  type LitmusResult,
  type LitmusTestOutcome,
  parseLitmusOutput,
  type RunLitmusOptions,
  runLitmus,
} from './litmus.js';
export {
  type NatsClusterInstance,
  type NatsServerInstance,
  type StartNatsServerOptions,
  startNatsCluster,
  startNatsServer,
} from './nats.js';
export {
  type OidcProviderInstance,
  type StartOidcProviderOptions,
  startOidcProvider,
} from './oidc-provider.js';
export { type ApacheDavInstance, apacheDavConfig, startApacheDav } from './peers/apache-dav.js';
export { type CaddyInstance, type StartCaddyOptions, startCaddy } from './peers/caddy.js';
export { type NginxInstance, nginxConfig, type StartNginxOptions, startNginx } from './peers/nginx.js';
export {
  type RcloneServeInstance,
  type StartRcloneServeOptions,
  startRcloneServe,
} from './peers/rclone-serve.js';
export {
  type ExitStatus,
  type ManagedProcess,
  type ReadyCheck,
  type StartProcessOptions,
  startProcess,
} from './process/managed-process.js';
export { type Daemon, type StartDaemonOptions, startPidFileDaemon } from './process/pid-file-daemon.js';
export { runningCount, stopAll } from './process/registry.js';
export { type RcloneResult, type RcloneWebdavRemote, type RunRcloneOptions, runRclone } from './rclone.js';
export { type RegistryInstance, type StartRegistryOptions, startRegistry } from './registry.js';
export { HOMEPORT_BUNDLE, REPO_ROOT, WEB_UI_INDEX } from './repo-paths.js';
export { requireCommand } from './require-command.js';
export { removeTempDirs, tempDir } from './temp-dir.js';
export {
  type PushedTestImage,
  type PushTestImageOptions,
  pushTestImage,
  type TestImageHealthcheck,
  type TestImageRegistry,
  type TestImageVariant,
} from './test-images.js';
export { until } from './until.js';
