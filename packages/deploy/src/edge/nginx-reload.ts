// The default way the nginx edge applies its files: `nginx -t` (the whole config, with the operator's own
// files) and only then `nginx -s reload`, argv arrays only. A graceful reload leaves connections, WebSockets
// included, on the old workers until they end.

import { execFile } from 'node:child_process';

export interface NginxCommand {
  /** The nginx binary (default `nginx` on PATH). */
  binary?: string;
  /** Put before `-t` / `-s reload`, e.g. `['-c', '/etc/nginx/nginx.conf']` or a test's `-c … -p …`. */
  args?: readonly string[];
  /** Per command (default 30 s). */
  timeoutMs?: number;
}

function run(binary: string, args: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      // nginx explains itself on stderr ("nginx: [emerg] unknown directive … in /etc/…:3").
      else reject(new Error(`${binary} ${args.join(' ')}: ${stderr.trim() || error.message}`));
    });
  });
}

export function nginxReload(command: NginxCommand = {}): () => Promise<void> {
  const binary = command.binary ?? 'nginx';
  const args = command.args ?? [];
  const timeoutMs = command.timeoutMs ?? 30_000;
  return async () => {
    await run(binary, [...args, '-t'], timeoutMs);
    await run(binary, [...args, '-s', 'reload'], timeoutMs);
  };
}
