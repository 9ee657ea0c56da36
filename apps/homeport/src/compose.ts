// Composition root: Homeport's module catalogue, every setting it reads and the web UI, on core's
// composeModules (store, events, HTTP server, the modules' lifecycle) with accounts as the base module.

import { ACCOUNTS, accountsBase, accountsSettings, bootstrapFirstAdmin } from '@homeport/accounts';
import { BUS, createBusModule } from '@homeport/bus';
import {
  type Composition,
  type Config,
  composeModules,
  coreSettings,
  dockerSettings,
  type Logger,
  type Module,
  natsSettings,
  type RequirementProbes,
  type SettingGroup,
} from '@homeport/core';
import { createDeployModule } from '@homeport/deploy';
import { createNasModule } from '@homeport/nas';
import { VERSION } from './version.js';
import { DEFAULT_WEB_DIR, registerWeb, webFallback } from './web.js';

/**
 * Every module besides accounts, in start order. Accounts always runs and comes first: every other module
 * gets its guards and user directory. Adding a module is adding it here.
 */
export const moduleCatalogue = (composed: () => Composition | undefined = () => undefined): Module[] => [
  createNasModule({ version: VERSION }),
  createBusModule(),
  createDeployModule({ announce: (target, text) => announceInRoom(composed(), target, text) }),
];

/**
 * Deploy announcements go into a bus room through the browser gateway, as the account named by
 * HOMEPORT_DEPLOY_ROOM_AS (the gateway seals and signs as that account's server-held identity; the account
 * must be a member of the room). The deploy package never imports the bus: this is where they meet.
 */
async function announceInRoom(
  homeport: Composition | undefined,
  target: { roomId: string; userId: string; username: string },
  text: string,
): Promise<void> {
  const gateway = homeport?.module(BUS)?.gateway;
  if (!gateway) throw new Error('deploy announcements need the bus module with its gateway (NATS)');
  await gateway.messages.send({ userId: target.userId, username: target.username }, target.roomId, {
    body: text,
  });
}

/** The names `--modules` accepts. */
export const KNOWN_MODULES: readonly string[] = [
  accountsBase.name,
  ...moduleCatalogue().map((module) => module.name),
];

export interface HomeportOptions {
  config: Config;
  log?: Logger | undefined;
  clock?: (() => number) | undefined;
  /** Process metrics (event-loop lag etc.); tests building many apps turn them off. */
  collectProcessMetrics?: boolean;
  /** Where the generated first-admin password goes (stderr by default); it never goes to the log. */
  announce?: (text: string) => void;
  /** Create the first admin when none exists (default true; the `user` CLI manages accounts itself). */
  ensureFirstAdmin?: boolean;
  /** How requirements are checked (tests replace them); default: core's module selection. */
  requirements?: RequirementProbes;
  /** The modules besides accounts (default: moduleCatalogue()); tests add their own. */
  catalogue?: readonly Module[] | undefined;
}

/** A running Homeport (core's composition of the modules). */
export type Homeport = Composition;

/** Every setting group the process reads, for validation at start and the configuration reference. */
export const ALL_SETTINGS: readonly SettingGroup[] = [
  coreSettings,
  natsSettings,
  dockerSettings,
  accountsSettings,
  ...moduleCatalogue().flatMap((module) => module.settings ?? []),
];

export async function createHomeport(options: HomeportOptions): Promise<Homeport> {
  const { config } = options;
  config.validate(ALL_SETTINGS);
  const webDir = config.read(coreSettings).webDir ?? DEFAULT_WEB_DIR;
  const fallback = webFallback(webDir);
  let composed: Homeport | undefined;
  const homeport = await composeModules({
    config,
    base: accountsBase,
    catalogue: options.catalogue ?? moduleCatalogue(() => composed),
    version: VERSION,
    log: options.log,
    clock: options.clock,
    collectProcessMetrics: options.collectProcessMetrics,
    requirements: options.requirements,
    fallback,
    routes: async (app, log) => {
      await registerWeb(app, webDir, log);
    },
  });
  composed = homeport;
  if (options.ensureFirstAdmin !== false) {
    await bootstrapFirstAdmin({
      accounts: homeport.requireModule(ACCOUNTS),
      config,
      log: homeport.log,
      announce: options.announce ?? ((text: string) => process.stderr.write(text)),
    });
  }
  return homeport;
}
