// How a Homeport agent tells the control plane what it is: at registration it sends this header, and the
// node becomes a Homeport node (per-node keys, revocations, heartbeat liveness). A registration without it
// is a betterNAS agent's (see docs/nas.md, "Two kinds of agent").

export const AGENT_HEADER = 'x-homeport-agent';
/** The credential format and node protocol this agent speaks (mount credentials v2). */
export const AGENT_PROTOCOL = '2';

/**
 * Sent with an export sync: the agent's roots for exports added from the UI (HOMEPORT_EXPORT_ROOTS), each
 * percent-encoded, comma-separated; empty when it has none.
 */
export const EXPORT_ROOTS_HEADER = 'x-homeport-export-roots';
/** On heartbeat answers: the version of the node's managed exports (the agent fetches the list when it changes). */
export const MANAGED_EXPORTS_HEADER = 'x-homeport-managed-exports';
/** At most this many roots are taken from the header (and each at most 4096 characters). */
export const MAX_EXPORT_ROOTS = 32;

export function encodeExportRoots(roots: readonly string[]): string {
  return roots.map((root) => encodeURIComponent(root)).join(',');
}

/** The roots in the header: absolute paths only, decoded; anything malformed is dropped. */
export function parseExportRoots(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  return value
    .split(',')
    .slice(0, MAX_EXPORT_ROOTS)
    .flatMap((item) => {
      try {
        const root = decodeURIComponent(item);
        return root.startsWith('/') && root.length <= 4096 && !root.includes('\0') ? [root] : [];
      } catch {
        return []; // not percent-encoding: dropped
      }
    });
}
