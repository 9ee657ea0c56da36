// First launch: the admin account, from HOMEPORT_ADMIN_PASSWORD or with a generated password shown once.

import type { Config, Logger } from '@homeport/core';
import type { AccountsApi } from './module.js';
import { newPassword } from './secrets.js';
import { accountsSettings } from './settings.js';

export interface FirstAdminOptions {
  accounts: AccountsApi;
  config: Config;
  log: Logger;
  /** Where the generated password goes (the app: stderr); it never goes to the log. */
  announce: (text: string) => void;
}

/** Creates the admin when no active admin exists; a generated password is announced, never logged. */
export async function bootstrapFirstAdmin(options: FirstAdminOptions): Promise<void> {
  const { adminPassword } = options.config.read(accountsSettings);
  const firstAdmin = await options.accounts.service.ensureFirstAdmin(adminPassword, newPassword);
  if (firstAdmin?.generatedPassword) {
    options.announce(
      `\nFirst launch: created the admin account.\n  username: ${firstAdmin.username}\n  password: ${firstAdmin.generatedPassword}\n` +
        'This password is shown once and never logged. Change it in Settings → Users, or set HOMEPORT_ADMIN_PASSWORD.\n\n',
    );
  } else if (firstAdmin) {
    options.log.info(
      { username: firstAdmin.username },
      'created the admin account from HOMEPORT_ADMIN_PASSWORD',
    );
  }
}
