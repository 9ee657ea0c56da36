// Settings of the managed nats-server's member listener: where bus members' NATS clients (phones, other PCs)
// connect, with TLS. They are the bus's, but the managed server must know them when it starts, which is
// before any module; the bus module reads them from here. docs/bus.md, "Where members connect".

import { defineSettings, type Setting, SettingProblem, stringSetting } from '../config/settings.js';
import { formatHostPort, parseHostPort } from './cluster-settings.js';

const listen: Setting<string | undefined> = {
  key: 'bus.listen',
  env: 'HOMEPORT_BUS_LISTEN',
  defaultValue: undefined,
  defaultText: '(unset)',
  parse(raw) {
    if (typeof raw !== 'string') throw new SettingProblem('must be host:port, e.g. 0.0.0.0:4250');
    return formatHostPort(parseHostPort(raw));
  },
  doc: "Where bus members' NATS clients connect (host:port, e.g. `0.0.0.0:4250` or `192.168.1.5:4250`): the managed nats-server's client listener moves there, TLS required (HOMEPORT_BUS_TLS_CERT/KEY, else a bus CA Homeport makes and members pin). Unset: a loopback port. A non-loopback address needs HOMEPORT_BUS_AUTH=enforce.",
};

export const natsMemberListenerSettings = defineSettings({
  busListen: listen,
  busAdvertise: stringSetting({
    key: 'bus.advertise',
    env: 'HOMEPORT_BUS_ADVERTISE',
    pattern: /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9.-]+)$/,
    patternHint: 'a host name or an IP address',
    doc: "The host members are told to connect to (in their credentials' `tls://host:port`), and named in the generated certificate. Default: HOMEPORT_BUS_LISTEN's host, or with `0.0.0.0`/`::` this machine's first non-loopback IPv4 address.",
  }),
  busTlsCert: stringSetting({
    key: 'bus.tlsCert',
    env: 'HOMEPORT_BUS_TLS_CERT',
    doc: 'PEM certificate (with its chain) of the member listener, instead of the generated bus CA. A chain ending in a self-signed root is given to members to pin; else members verify it against their system roots.',
  }),
  busTlsKey: stringSetting({
    key: 'bus.tlsKey',
    env: 'HOMEPORT_BUS_TLS_KEY',
    secret: true,
    doc: 'PEM private key for HOMEPORT_BUS_TLS_CERT.',
  }),
});

/** Problems of these settings together with the NATS mode (each was checked alone already). */
export function memberListenerProblems(
  values: { busListen?: string | undefined; busTlsCert?: string | undefined; busTlsKey?: string | undefined },
  notManaged: string | undefined,
): string[] {
  const problems: string[] = [];
  if ((values.busTlsCert === undefined) !== (values.busTlsKey === undefined))
    problems.push('HOMEPORT_BUS_TLS_CERT and HOMEPORT_BUS_TLS_KEY go together: give both or neither');
  if (values.busTlsCert !== undefined && values.busListen === undefined)
    problems.push(
      'HOMEPORT_BUS_TLS_CERT is set without HOMEPORT_BUS_LISTEN (members use the loopback port, without TLS)',
    );
  if (values.busListen !== undefined && notManaged !== undefined)
    problems.push(
      `HOMEPORT_BUS_LISTEN moves the managed nats-server's client listener, but ${notManaged}; members connect to that server`,
    );
  return problems;
}
