// Refuses a bus that would be open on a network (audits H2 and H5 of unibus): a non-loopback control plane or
// NATS listener needs enforced signatures and TLS, and TLS without enforce is refused too — it looks secure
// while anyone may claim any identity.

import { ConfigError, isLoopbackAddress } from '@homeport/core';
import type { BusAuthMode } from '../settings.js';

export interface BusExposure {
  auth: BusAuthMode;
  /** The HTTP server's bind address (HOMEPORT_BIND). */
  controlBind: string;
  /** HTTPS served by Homeport, or a TLS proxy in front declared by the operator (HOMEPORT_ALLOW_INSECURE_PUBLIC). */
  controlTls: boolean;
  /** Homeport serves HTTPS itself (HOMEPORT_TLS_CERT). */
  controlCert: boolean;
  /** Host of HOMEPORT_BUS_LISTEN; undefined when members use the loopback port. */
  busListenHost: string | undefined;
  /** HOMEPORT_BUS_TLS_CERT and KEY given. */
  busTls: boolean;
}

/** The problems with this shape, one line each; empty when it is safe. */
export function busExposureProblems(shape: BusExposure): string[] {
  const problems: string[] = [];
  const publicControl = !isLoopbackAddress(shape.controlBind);
  const publicBus =
    shape.busListenHost !== undefined && !isLoopbackAddress(stripBrackets(shape.busListenHost));
  const enforce = shape.auth === 'enforce';
  if (publicControl && !enforce)
    problems.push(
      `HOMEPORT_BUS_AUTH=${shape.auth} with the control plane on ${shape.controlBind}: anyone on the network could act as any bus identity; set HOMEPORT_BUS_AUTH=enforce (or bind to loopback)`,
    );
  if (publicControl && !shape.controlTls)
    problems.push(
      `the bus control plane on ${shape.controlBind} without TLS would expose room membership and sealed keys; give HOMEPORT_TLS_CERT/KEY or a TLS proxy (HOMEPORT_ALLOW_INSECURE_PUBLIC=1)`,
    );
  if (publicBus && !enforce)
    problems.push(
      `HOMEPORT_BUS_LISTEN=${shape.busListenHost} with HOMEPORT_BUS_AUTH=${shape.auth}: anyone on the network could join as any identity; set HOMEPORT_BUS_AUTH=enforce`,
    );
  if (publicBus && !shape.busTls)
    problems.push(
      `HOMEPORT_BUS_LISTEN=${shape.busListenHost} without TLS: give HOMEPORT_BUS_TLS_CERT and HOMEPORT_BUS_TLS_KEY`,
    );
  // TLS with signatures off looks secure while anyone may claim any identity (unibus audit H2).
  if ((shape.busTls || shape.controlCert) && !enforce && !publicControl && !publicBus) {
    const tls = [
      ...(shape.busTls
        ? [`the bus listener (HOMEPORT_BUS_LISTEN=${shape.busListenHost ?? ''}, always TLS)`]
        : []),
      ...(shape.controlCert ? ['HTTPS (HOMEPORT_TLS_CERT)'] : []),
    ].join(' and ');
    problems.push(
      `${tls} with HOMEPORT_BUS_AUTH=${shape.auth}: TLS without enforced signatures lets anyone claim any identity; set HOMEPORT_BUS_AUTH=enforce`,
    );
  }
  return problems;
}

const stripBrackets = (host: string) =>
  host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;

/** Throws a ConfigError listing every problem (see busExposureProblems). */
export function assertBusExposure(shape: BusExposure): void {
  const problems = busExposureProblems(shape);
  if (problems.length > 0) throw new ConfigError(problems);
}
