// How a Homeport agent tells the control plane what it is: at registration it sends this header, and the
// node becomes a Homeport node (per-node keys, revocations, heartbeat liveness). A registration without it
// is a betterNAS agent's (see docs/nas.md, "Two kinds of agent").

export const AGENT_HEADER = 'x-homeport-agent';
/** The credential format and node protocol this agent speaks (mount credentials v2). */
export const AGENT_PROTOCOL = '2';
