// The `homeport bus` member commands as an operator runs them: the built bundle as child processes against a
// real Homeport (its managed nats-server, the bus module), identities seeded on the host with `bus user add`.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  HOMEPORT_BUNDLE,
  type HomeportInstance,
  removeTempDirs,
  requireCommand,
  startHomeport,
  startProcess,
  stopAll,
  tempDir,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function homeport(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** Runs a command that must succeed; its output when it does not. */
async function ok(args: string[], input?: string): Promise<string> {
  const run = await homeport(args, input);
  if (run.code !== 0)
    throw new Error(`homeport ${args.join(' ')} exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

const work = tempDir('homeport-bus-cli-');
const dataDir = join(work, 'data');
let server: HomeportInstance;

interface Member {
  file: string;
  signPub: string;
  kexPub: string;
}

/** `homeport bus identity new`, then its keys as `identity show` prints them. */
async function newIdentity(name: string): Promise<Member> {
  const file = join(work, `${name}.id`);
  const printed = await ok(['bus', 'identity', 'new', file]);
  const field = (label: string) => printed.match(new RegExp(`^${label}\\s+([0-9a-f]{64})$`, 'm'))?.[1] ?? '';
  return { file, signPub: field('sign-pub'), kexPub: field('kex-pub') };
}

const addUser = (member: Member, handle: string, role: 'admin' | 'member') =>
  ok([
    'bus',
    'user',
    'add',
    '--data-dir',
    dataDir,
    '--handle',
    handle,
    '--role',
    role,
    '--sign-pub',
    member.signPub,
    '--kex-pub',
    member.kexPub,
  ]);

const as = (member: Member | string) => [
  '--url',
  server.url,
  '--identity',
  typeof member === 'string' ? member : member.file,
];

let alice: Member;
let bob: Member;

const env = { HOMEPORT_MODULES: 'bus', HOMEPORT_EMBEDDED_AGENT: 'false' };

beforeAll(async () => {
  // Started once so it makes its database, then stopped: the first bus admin is seeded on the host, offline.
  const first = await startHomeport({ dataDir, env });
  await first.process.stop();
  alice = await newIdentity('alice');
  bob = await newIdentity('bob');
  await addUser(alice, 'alice', 'admin');
  server = await startHomeport({ dataDir, env });
  // Bob is added while it runs: the command writes the same SQLite database the server reads.
  await addUser(bob, 'bob', 'member');
}, 90_000);

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe('homeport bus check', () => {
  it('publishes to an ephemeral encrypted signed room, gets every message back decrypted, and deletes the room', async () => {
    const run = await homeport(['bus', 'check', '--messages', '20', ...as(alice)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /created room [a-z2-7]{20} check-[0-9a-f]{16} \(encrypted, signed, ephemeral\)/,
    );
    expect(run.stdout).toMatch(/connected: endpoint=[A-Za-z0-9_-]{43} server=127\.0\.0\.1:\d+/);
    expect(run.stdout).toContain('GOLDEN OK: all 20 messages received and decrypted end to end');
    const roomId = run.stdout.match(/created room ([a-z2-7]{20})/)?.[1];
    expect(run.stdout).toContain(`deleted room ${roomId}`);
    expect(await ok(['bus', 'rooms', '--json', ...as(alice)])).not.toContain(String(roomId));
  });

  it('logs each tick in loop mode and passes when the counter comes back', async () => {
    const run = await homeport([
      'bus',
      'check',
      '--mode',
      'loop',
      '--duration',
      '1500ms',
      '--interval',
      '250ms',
      ...as(bob),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^t=\d+\.\ds sent=1 recv=\d+ up=true server=127\.0\.0\.1:\d+ publish=ok$/m);
    expect(run.stdout).toMatch(/loop done: sent=(\d+) received=\1 missing=0/);
    expect(run.stdout).toContain('LOOP OK');
  });

  it('refuses a bad mode or count before connecting', async () => {
    const mode = await homeport(['bus', 'check', '--mode', 'fast', ...as(alice)]);
    expect(mode.code).toBe(1);
    expect(mode.stderr.trim()).toBe('homeport: --mode must be golden or loop, got "fast"');
    const count = await homeport(['bus', 'check', '--messages', '0', ...as(alice)]);
    expect(count.code).toBe(1);
    expect(count.stderr).toContain('--messages must be a whole number');
  });
});

describe('rooms, send and tail', () => {
  let roomId = '';

  it('creates a room, lists it, and invites a member by sign-pub', async () => {
    const created = await ok(['bus', 'room', 'create', 'ops', ...as(alice)]);
    roomId =
      created.match(/^created ([a-z2-7]{20}) ops \(encrypted, persisted, signed, history shared\)$/m)?.[1] ??
      '';
    expect(roomId).not.toBe('');
    expect(await ok(['bus', 'invite', 'ops', bob.signPub.toUpperCase(), ...as(alice)])).toContain(
      `invited bob to ${roomId} ops; 2 members`,
    );
    const listed = await ok(['bus', 'rooms', ...as(bob)]);
    expect(listed).toMatch(
      new RegExp(`^${roomId}  member  epoch 1 +ops  \\(encrypted, persisted, signed`, 'm'),
    );
  });

  it('tail prints what was sent before it started, then what is sent while it runs', async () => {
    const id = (await ok(['bus', 'send', 'ops', 'first words', ...as(alice)])).trim();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    await ok(['bus', 'send', roomId, '-', ...as(alice)], 'from standard input\n');
    const tail = await startProcess(process.execPath, [HOMEPORT_BUNDLE, 'bus', 'tail', 'ops', ...as(bob)], {
      name: 'bus tail',
      env: { PATH: process.env.PATH ?? '' },
      ready: { line: /alice: from standard input$/ },
    });
    expect(tail.stdout()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z alice: first words$/m);
    await ok(['bus', 'send', 'ops', 'said live', ...as(alice)]);
    await until('the live message', async () =>
      tail.stdout().includes('alice: said live') ? true : undefined,
    );
    const lines = tail.stdout().trim().split('\n');
    expect(lines.map((line) => line.replace(/^\S+ /, ''))).toEqual([
      'alice: first words',
      'alice: from standard input',
      'alice: said live',
    ]);
    expect(await tail.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('tail --json gives one object per message, and --count stops after that many', async () => {
    await ok(['bus', 'send', 'ops', 'as json', ...as(alice)]);
    const out = await ok(['bus', 'tail', 'ops', '--json', '--count', '1', ...as(alice)]);
    // Alice's own reader starts at the room's beginning: the first message is the first one sent.
    const message = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(message).toMatchObject({ handle: 'alice', signPub: alice.signPub, epoch: 1, text: 'first words' });
    expect(message.time).toMatch(/Z$/);
  });

  it("escapes control characters a member sends, so they cannot drive another member's terminal", async () => {
    await ok(['bus', 'send', 'ops', 'title\u001b]0;pwned\u0007 \u202eevil', ...as(alice)]);
    const tail = await startProcess(process.execPath, [HOMEPORT_BUNDLE, 'bus', 'tail', 'ops', ...as(bob)], {
      name: 'bus tail',
      env: { PATH: process.env.PATH ?? '' },
      ready: { line: /evil$/ },
    });
    await tail.stop('SIGTERM');
    expect(tail.stdout()).toContain('alice: title\\x1b]0;pwned\\x07 \\u202eevil');
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(tail.stdout().includes(raw)).toBe(false);
  });

  it('chat shows your message when the room echoes it, with handles, and leaves cleanly on end of input', async () => {
    const chat = spawn(process.execPath, [HOMEPORT_BUNDLE, 'bus', 'chat', 'ops', ...as(bob)], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    chat.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => chat.once('exit', (code) => resolve(code)));
    try {
      await until(
        'the chat to open',
        async () => (out.includes(`room ${roomId} ops`) ? true : undefined),
        15_000,
      );
      chat.stdin.write('hello from the chat\n');
      await until(
        'the echo',
        async () => (/\d\d:\d\d:\d\d bob: hello from the chat/.test(out) ? true : undefined),
        15_000,
      );
      await ok(['bus', 'send', 'ops', 'alice answers', ...as(alice)]);
      await until(
        'the answer',
        async () => (out.includes('alice: alice answers') ? true : undefined),
        15_000,
      );
      chat.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      chat.kill('SIGKILL');
    }
  });

  it('chat on a terminal keeps a prompt under the messages and replaces the typed line with its echo', async () => {
    // A pseudo-terminal from util-linux script(1), so stdin and stdout are TTYs as in a person's shell.
    const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, HOMEPORT_BUNDLE, 'bus', 'chat', 'ops', ...as(bob)]
      .map(quote)
      .join(' ');
    const chat = spawn(requireCommand('script', 'util-linux'), ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    chat.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => chat.once('exit', (code) => resolve(code)));
    try {
      await until('the prompt', async () => (out.includes('ops> ') ? true : undefined), 15_000);
      const typedAt = out.length;
      chat.stdin.write('typed in a tty\r');
      const echo = await until(
        'the echo',
        async () => out.slice(typedAt).match(/\d\d:\d\d:\d\d bob: typed in a tty/)?.index,
        15_000,
      );
      const after = out.slice(typedAt);
      // The typed line is erased (cursor up, line cleared), the echo is written on a cleared line, and the
      // prompt is drawn again under it.
      expect(after.indexOf('\u001b[1A\r\u001b[2K')).toBeGreaterThanOrEqual(0);
      expect(after.indexOf('\u001b[1A\r\u001b[2K')).toBeLessThan(echo.value);
      expect(after.slice(0, echo.value).endsWith('\r\u001b[2K')).toBe(true);
      await until(
        'the prompt under the echo',
        async () => (out.slice(typedAt + echo.value).includes('ops> ') ? true : undefined),
        5000,
      );
      chat.stdin.write('\u0004'); // Ctrl-D
      expect(await exited).toBe(0);
    } finally {
      chat.kill('SIGKILL');
    }
  });

  it('remove takes a member out and starts the next epoch', async () => {
    expect(await ok(['bus', 'remove', roomId, bob.signPub, ...as(alice)])).toContain('now at epoch 2');
    expect(await ok(['bus', 'rooms', '--json', ...as(bob)])).not.toContain(roomId);
    const refused = await homeport(['bus', 'send', roomId, 'still here?', ...as(bob)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^homeport: no room "[a-z2-7]{20}" among this identity's rooms/);
  });
});

describe('a unibus identity file', () => {
  /** A file as unibus writes it: std base64, sign_priv = seed || pub, made here with node:crypto alone. */
  function unibusIdentity(path: string): { signPub: string; kexPub: string } {
    const sign = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const kex = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
    const bytes = (text: string | undefined) => Buffer.from(text ?? '', 'base64url');
    const signPub = bytes(sign.x);
    const json = {
      sign_pub: signPub.toString('base64'),
      sign_priv: Buffer.concat([bytes(sign.d), signPub]).toString('base64'),
      kex_pub: bytes(kex.x).toString('base64'),
      kex_priv: bytes(kex.d).toString('base64'),
    };
    writeFileSync(path, JSON.stringify(json), { mode: 0o600 });
    return { signPub: signPub.toString('hex'), kexPub: bytes(kex.x).toString('hex') };
  }

  it('is imported and signs requests the control plane accepts, and is also read as it is', async () => {
    const source = join(work, 'worker.unibus.id');
    const keys = unibusIdentity(source);
    const dest = join(work, 'worker.id');
    const imported = await ok(['bus', 'identity', 'import', source, dest]);
    expect(imported).toContain(`sign-pub   ${keys.signPub}`);
    expect(imported).toContain(`kex-pub    ${keys.kexPub}`);
    await addUser({ file: dest, ...keys }, 'worker', 'member');
    expect(await ok(['bus', 'rooms', ...as(dest)])).toContain('no rooms yet');
    const created = await ok([
      'bus',
      'room',
      'create',
      'unibus-made',
      '--ephemeral',
      '--history',
      'joined',
      ...as(source),
    ]);
    expect(created).toMatch(/\(encrypted, ephemeral, signed, history joined\)/);
    expect(await ok(['bus', 'rooms', ...as(dest)])).toContain('unibus-made');
  });
});

describe('failures', () => {
  it('are one line on standard error and a non-zero exit', async () => {
    const stranger = await newIdentity('stranger');
    const cases: [string[], RegExp][] = [
      [['bus', 'rooms', '--identity', alice.file], /^homeport: --url is required/],
      [['bus', 'rooms', '--url', server.url], /^homeport: --identity is required/],
      [['bus', 'rooms', ...as(join(work, 'missing.id'))], /^homeport: no identity file at /],
      [
        ['bus', 'rooms', '--url', 'http://example.com', '--identity', alice.file],
        /plain http:\/\/ is accepted only on loopback/,
      ],
      [
        ['bus', 'rooms', '--url', server.url, '--identity', alice.file, '--ca', join(work, 'nope.pem')],
        /^homeport: --ca .*ENOENT/,
      ],
      [
        ['bus', 'rooms', '--url', 'http://127.0.0.1:1', '--identity', alice.file],
        /^homeport: cannot reach the control plane: .*ECONNREFUSED/,
      ],
      [['bus', 'rooms', ...as(stranger)], /^homeport: the control plane answered 401 bus_unauthorized/],
      [['bus', 'send', 'no-such-room', 'hi', ...as(alice)], /^homeport: no room "no-such-room"/],
      [['bus', 'invite', 'ops', 'cafe', ...as(alice)], /^homeport: cafe: a sign-pub is 64 hex characters/],
      [
        ['bus', 'room', 'create', 'x', '--history', 'never', ...as(alice)],
        /--history must be shared or joined/,
      ],
    ];
    for (const [args, expected] of cases) {
      const run = await homeport(args);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.trim()).toMatch(expected);
    }
  }, 60_000);
});

/** A CA and a certificate for 127.0.0.1 it signed, made by openssl: the chain (leaf, CA) and the key. */
function certificates(dir: string) {
  const run = (args: string[]) =>
    execFileSync(requireCommand('openssl', 'openssl'), args, { cwd: dir, stdio: 'pipe' });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=bus cli test CA',
    '-days',
    '2',
    '-out',
    'ca.pem',
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  run(['req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run([
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem'],
  ]);
  writeFileSync(
    join(dir, 'chain.pem'),
    readFileSync(join(dir, 'server.pem'), 'utf8') + readFileSync(join(dir, 'ca.pem'), 'utf8'),
  );
  return { ca: join(dir, 'ca.pem'), chain: join(dir, 'chain.pem'), key: join(dir, 'server.key') };
}

describe('the allowlist through the API, signed as a bus admin', () => {
  it('adds, lists and revokes over HTTPS with a pinned CA; a member and an unpinned client are refused', async () => {
    const tls = certificates(tempDir('homeport-bus-cli-tls-'));
    const tlsData = join(work, 'tls-data');
    const port = await freePort();
    const https = await startProcess(
      process.execPath,
      [
        ...[HOMEPORT_BUNDLE, 'start', '--port', String(port), '--bind', '127.0.0.1', '--data-dir', tlsData],
        ...['--tls-cert', tls.chain, '--tls-key', tls.key],
      ],
      {
        name: 'homeport https',
        env: {
          PATH: process.env.PATH ?? '',
          HOMEPORT_ADMIN_PASSWORD: 'the-https-admin-password',
          HOMEPORT_DAV_PORT: String(await freePort()),
          ...env,
        },
        // Fastify names the address http:// even when the server it was given is https.
        ready: { line: /Server listening at / },
        timeoutMs: 30_000,
      },
    );
    const url = `https://127.0.0.1:${port}`;
    const signed = (member: Member) => ['--url', url, '--identity', member.file, '--ca', tls.ca];
    try {
      // The first admin is seeded on the host; everything after goes through the API.
      await ok([
        ...['bus', 'user', 'add', '--data-dir', tlsData, '--handle', 'alice', '--role', 'admin'],
        ...['--sign-pub', alice.signPub, '--kex-pub', alice.kexPub],
      ]);
      const carol = await newIdentity('carol');
      const added = await ok([
        ...['bus', 'user', 'add', '--handle', 'carol', '--sign-pub', carol.signPub.toUpperCase()],
        ...['--kex-pub', carol.kexPub, ...signed(alice)],
      ]);
      expect(added.trim()).toBe(`added carol (member) ${carol.signPub}`);
      const listed = JSON.parse(await ok(['bus', 'user', 'list', '--json', ...signed(alice)])) as {
        handle: string;
        status: string;
      }[];
      expect(listed.map((user) => `${user.handle}:${user.status}`).sort()).toEqual([
        'alice:active',
        'carol:active',
      ]);
      expect(await ok(['bus', 'rooms', ...signed(carol)])).toContain('no rooms yet');

      const asMember = await homeport(['bus', 'user', 'list', ...signed(carol)]);
      expect(asMember.code).toBe(1);
      expect(asMember.stderr.trim()).toMatch(/^homeport: the control plane answered 403 bus_forbidden/);
      const unpinned = await homeport(['bus', 'user', 'list', '--url', url, '--identity', alice.file]);
      expect(unpinned.code).toBe(1);
      expect(unpinned.stderr.trim()).toMatch(/^homeport: TLS: .*certificate/i);

      expect(await ok(['bus', 'user', 'revoke', carol.signPub, ...signed(alice)])).toMatch(/^revoked carol;/);
      const revoked = await homeport(['bus', 'rooms', ...signed(carol)]);
      expect(revoked.code).toBe(1);
      expect(revoked.stderr.trim()).toMatch(/^homeport: the control plane answered 401 bus_unauthorized/);
      expect(await ok(['bus', 'user', 'list', ...signed(alice)])).toMatch(
        new RegExp(`^${carol.signPub}  member  revoked  carol$`, 'm'),
      );
    } finally {
      await https.stop('SIGTERM');
    }
  }, 90_000);
});
