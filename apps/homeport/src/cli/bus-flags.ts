// The flags of the `homeport bus` client commands, apart from the client itself: the program declares them
// for every command without loading the bus SDK, which only the command that runs needs.

import { type Command, Option } from 'commander';

/** The flags every client command takes, as commander parses them. */
export interface BusConnectionFlags {
  url?: string[];
  identity?: string;
  ca?: string;
  natsServer?: string[];
}

/** Repeatable and comma-separated: `--url a --url b,c` is `[a, b, c]`. */
function collectList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  ];
}

/** Adds --url, --identity and --ca: what a command that only talks to the control plane needs. */
export function withControlPlaneFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--url <url>',
        'control-plane URL of Homeport (repeatable or comma-separated: a seed list tried in order)',
      ).argParser(collectList),
    )
    .addOption(new Option('--identity <file>', 'identity file (Homeport or unibus format)'))
    .addOption(
      new Option('--ca <pem>', 'PEM file of the CA to pin for the control plane and NATS (https only)'),
    );
}

/** Adds --url, --identity, --ca and --nats-server to a client command. */
export function withConnectionFlags(command: Command): Command {
  return withControlPlaneFlags(command).addOption(
    new Option(
      '--nats-server <url>',
      'NATS URLs to use instead of those the control plane hands out (repeatable or comma-separated)',
    ).argParser(collectList),
  );
}
