// `homeport deploy …`: the deploy module through its HTTP API, signed in with an admin's API token
// (--token or HOMEPORT_TOKEN) against --url (or HOMEPORT_URL, default http://127.0.0.1:8080). Deploys run in
// the server; the CLI queues them and, with --wait, follows the log until the deploy ends (exit 1 unless it
// succeeded).

import { chmod, readFile, writeFile } from 'node:fs/promises';
import { type ErrorKind, errorClass } from '@homeport/core';
import { type Command, Option } from 'commander';

const KINDS = {
  deploy_cli_usage: 'bad_request',
  /** The API refused or failed the call; the message carries its code and message. */
  deploy_cli_failed: 'unavailable',
  /** `--wait` saw the deploy end other than succeeded. */
  deploy_cli_deploy_failed: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export class DeployCliError extends errorClass(KINDS) {}

interface ApiFlags {
  url?: string;
  token?: string;
}

interface DeployView {
  id: string;
  seq: number;
  status: string;
  trigger: string;
  tag: string | null;
  digest: string | null;
  error: { step: string; reason: string } | null;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'superseded', 'rolled_back']);

function client(flags: ApiFlags, out: (line: string) => void = console.log) {
  const url = (flags.url ?? process.env.HOMEPORT_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = flags.token ?? process.env.HOMEPORT_TOKEN;
  if (!token)
    throw new DeployCliError('deploy_cli_usage', 'an admin API token is needed: --token or HOMEPORT_TOKEN');
  if (!/^https?:\/\//.test(url))
    throw new DeployCliError('deploy_cli_usage', `--url must be http(s)://…, got ${url}`);
  // The token is an admin's: it crosses the network only inside TLS.
  const host = new URL(url).hostname;
  if (url.startsWith('http://') && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host))
    throw new DeployCliError(
      'deploy_cli_usage',
      `--url ${url}: use https:// for a Homeport off this machine (the token would travel in clear)`,
    );
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    let response: Response;
    try {
      response = await fetch(`${url}/api/v1/deploy${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new DeployCliError('deploy_cli_failed', `cannot reach ${url}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as {
          error?: { code?: string; message?: string; eligible?: unknown };
        };
        message = `${parsed.error?.code ?? response.status}: ${parsed.error?.message ?? text}`;
      } catch {
        // not JSON (a proxy's page): the start of the text says enough
      }
      throw new DeployCliError('deploy_cli_failed', `${method} ${path} → ${response.status} ${message}`);
    }
    return { text, json: () => (text ? JSON.parse(text) : null) };
  };

  /** Prints a deploy's log lines as they come until it ends; throws unless it succeeded. */
  const follow = async (deployId: string) => {
    let after = 0;
    for (;;) {
      const lines = (await call('GET', `/deploys/${deployId}/logs?after=${after}`)).json() as {
        seq: number;
        ts: string;
        line: string;
      }[];
      for (const line of lines) out(`${line.ts}  ${line.line}`);
      after = lines.at(-1)?.seq ?? after;
      const deploy = (await call('GET', `/deploys/${deployId}`)).json() as DeployView;
      if (FINISHED.has(deploy.status) && lines.length === 0) {
        out(
          `deploy #${deploy.seq} ${deploy.status}${deploy.error ? ` at ${deploy.error.step}: ${deploy.error.reason}` : ''}`,
        );
        if (deploy.status !== 'succeeded')
          throw new DeployCliError('deploy_cli_deploy_failed', `deploy #${deploy.seq} ${deploy.status}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  return { call, follow };
}

const apiOptions = (command: Command) =>
  command
    .addOption(new Option('--url <url>', 'Homeport URL (default HOMEPORT_URL or http://127.0.0.1:8080)'))
    .addOption(new Option('--token <token>', 'an admin API token (default HOMEPORT_TOKEN)'));

const queued = async (
  api: ReturnType<typeof client>,
  deploy: DeployView,
  wait: boolean | undefined,
  out: (line: string) => void,
) => {
  out(
    `queued deploy #${deploy.seq} (${deploy.id})${deploy.tag ? ` tag ${deploy.tag}` : ''}${deploy.digest ? ` ${deploy.digest}` : ''}`,
  );
  if (wait) await api.follow(deploy.id);
};

/** Adds `deploy` and its subcommands to the program. */
export function addDeployCommands(program: Command, out: (line: string) => void = console.log): void {
  const deploy = program
    .command('deploy')
    .description(
      'container deploys: list, deploy, rollback, promote, cancel, logs, import/export (through the API)',
    )
    .addHelpText(
      'after',
      `
Examples:
  export HOMEPORT_URL=https://homeport.example.com HOMEPORT_TOKEN=hp_…   # an admin's API token
  homeport deploy list
  homeport deploy deploy shop production --tag v1.4.2 --wait
  homeport deploy promote shop production --wait          # the digest running healthy in promoteFrom
  homeport deploy rollback shop production --digest sha256:… --wait
  homeport deploy logs <deployId> --follow
  homeport deploy export --secrets --to deploy.yaml && homeport deploy import deploy.yaml`,
    );

  apiOptions(deploy.command('list').description('projects, stages and what each runs')).action(
    async (flags: ApiFlags) => {
      const api = client(flags, out);
      const projects = (await api.call('GET', '/projects')).json() as { name: string }[];
      if (projects.length === 0) out('no projects');
      for (const project of projects) {
        out(project.name);
        const stages = (await api.call('GET', `/projects/${project.name}/stages`)).json() as {
          name: string;
        }[];
        for (const stage of stages) {
          const status = (
            await api.call('GET', `/projects/${project.name}/stages/${stage.name}/status`)
          ).json() as {
            live: {
              seq: number | null;
              tag: string | null;
              digest: string | null;
              color: string;
              container: { running: boolean; health: string } | null;
            } | null;
            queue: DeployView[];
          };
          const live = status.live;
          const running = live
            ? `r${live.seq ?? '?'} ${live.tag ?? ''} ${live.digest?.slice(0, 19) ?? ''} ${live.color} ${live.container?.running ? `running (${live.container.health})` : 'NOT RUNNING'}`
            : 'nothing deployed';
          out(
            `  ${stage.name.padEnd(16)} ${running}${status.queue.length > 0 ? `  queue: ${status.queue.map((d) => `#${d.seq} ${d.status}`).join(', ')}` : ''}`,
          );
        }
      }
    },
  );

  apiOptions(
    deploy
      .command('deploy <project> <stage>')
      .description('queue a deploy of a tag or a digest')
      .option('--tag <tag>', 'a tag matching the stage pattern')
      .option('--digest <digest>', 'sha256:… (promoted stages take digests only)')
      .option('--wait', 'follow the log until the deploy ends; exit 1 unless it succeeded'),
  ).action(
    async (
      project: string,
      stage: string,
      flags: ApiFlags & { tag?: string; digest?: string; wait?: boolean },
    ) => {
      if (!flags.tag && !flags.digest) throw new DeployCliError('deploy_cli_usage', 'give --tag or --digest');
      const api = client(flags, out);
      const body = {
        ...(flags.tag ? { tag: flags.tag } : {}),
        ...(flags.digest ? { digest: flags.digest } : {}),
      };
      await queued(
        api,
        (await api.call('POST', `/projects/${project}/stages/${stage}/deploys`, body)).json(),
        flags.wait,
        out,
      );
    },
  );

  apiOptions(
    deploy
      .command('rollback <project> <stage>')
      .description('redeploy an earlier successful release (default: the newest before the live one)')
      .option('--release <id>', 'release id')
      .option('--digest <digest>', 'the digest of an earlier successful release')
      .option('--wait', 'follow the log until the deploy ends'),
  ).action(
    async (
      project: string,
      stage: string,
      flags: ApiFlags & { release?: string; digest?: string; wait?: boolean },
    ) => {
      const api = client(flags, out);
      const body = {
        ...(flags.release ? { releaseId: flags.release } : {}),
        ...(flags.digest ? { digest: flags.digest } : {}),
      };
      await queued(
        api,
        (await api.call('POST', `/projects/${project}/stages/${stage}/rollback`, body)).json(),
        flags.wait,
        out,
      );
    },
  );

  apiOptions(
    deploy
      .command('promote <project> <stage>')
      .description('deploy the digest running healthy in the stage’s promoteFrom stage')
      .option('--digest <digest>', 'one of the eligible digests (default: the source stage’s live one)')
      .option('--wait', 'follow the log until the deploy ends'),
  ).action(async (project: string, stage: string, flags: ApiFlags & { digest?: string; wait?: boolean }) => {
    const api = client(flags, out);
    await queued(
      api,
      (
        await api.call(
          'POST',
          `/projects/${project}/stages/${stage}/promote`,
          flags.digest ? { digest: flags.digest } : {},
        )
      ).json(),
      flags.wait,
      out,
    );
  });

  apiOptions(
    deploy
      .command('cancel <deployId>')
      .description('cancel a queued deploy, or a running one before its switch'),
  ).action(async (deployId: string, flags: ApiFlags) => {
    const record = (
      await client(flags, out).call('POST', `/deploys/${deployId}/cancel`)
    ).json() as DeployView;
    out(`deploy #${record.seq} ${record.status}`);
  });

  apiOptions(
    deploy
      .command('logs <deployId>')
      .description('a deploy’s log (with --follow until it ends)')
      .option('--follow', 'keep printing until the deploy ends'),
  ).action(async (deployId: string, flags: ApiFlags & { follow?: boolean }) => {
    const api = client(flags, out);
    if (flags.follow) {
      await api.follow(deployId);
      return;
    }
    const lines = (await api.call('GET', `/deploys/${deployId}/logs`)).json() as {
      ts: string;
      line: string;
    }[];
    for (const line of lines) out(`${line.ts}  ${line.line}`);
  });

  apiOptions(
    deploy
      .command('export')
      .description('print (or write) every project and stage as YAML')
      .option('--secrets', 'include secret values (keep the file private)')
      .option('--to <file>', 'write to a file (mode 0600) instead of stdout'),
  ).action(async (flags: ApiFlags & { secrets?: boolean; to?: string }) => {
    const text = (await client(flags, out).call('GET', `/config.yaml${flags.secrets ? '?secrets=true' : ''}`))
      .text;
    if (flags.to) {
      // The mode of writeFile applies only to a new file: an existing one is narrowed before the secrets go in.
      await writeFile(flags.to, '', { mode: 0o600 });
      await chmod(flags.to, 0o600);
      await writeFile(flags.to, text);
    } else out(text.trimEnd());
  });

  apiOptions(
    deploy.command('import <file>').description('create or update projects and stages from a YAML file'),
  ).action(async (file: string, flags: ApiFlags) => {
    const text = await readFile(file, 'utf8').catch((cause: unknown) => {
      throw new DeployCliError('deploy_cli_usage', `cannot read ${file}: ${(cause as Error).message}`, {
        cause,
      });
    });
    const report = (await client(flags, out).call('POST', '/config', text, 'application/yaml')).json() as {
      projects: { name: string; action: string }[];
      stages: { project: string; name: string; action: string; warnings: string[] }[];
    };
    for (const p of report.projects) out(`project ${p.name}: ${p.action}`);
    for (const s of report.stages) {
      out(`stage ${s.project}/${s.name}: ${s.action}`);
      for (const warning of s.warnings) out(`  warning: ${warning}`);
    }
  });
}
