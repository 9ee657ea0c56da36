// What a failed request to the agent rejects with: its status, a code the page can branch on, and a
// sentence a person can act on. (The agent answers WebDAV statuses, not the control plane's JSON errors.)

export type AgentErrorCode =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'exists'
  | 'conflict'
  | 'locked'
  | 'too_large'
  | 'no_space'
  | 'too_many'
  | 'failed';

export class AgentError extends Error {
  override readonly name = 'AgentError';
  /** HTTP status; 0 when no answer came (the node is unreachable, or the connection broke). */
  readonly status: number;
  readonly code: AgentErrorCode;

  constructor(status: number, code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

const BY_STATUS: Record<number, [AgentErrorCode, string]> = {
  401: ['unauthorized', 'Your access to this export has ended. Reload the page to continue.'],
  403: ['forbidden', 'You may not do this here.'],
  404: ['not_found', 'It is no longer there: someone may have moved or deleted it.'],
  405: ['exists', 'Something with this name is already there.'],
  409: ['conflict', 'The folder it goes into is no longer there.'],
  412: ['exists', 'Something with this name is already there.'],
  413: ['too_large', 'This is larger than the node accepts.'],
  423: ['locked', 'It is locked by someone who has it open; try again later.'],
  429: ['too_many', 'Too many uploads at once; wait for some to finish.'],
  507: ['no_space', 'There is not enough free space on the node.'],
};

/** The error an answer with `status` stands for, worded for `action` ("Could not rename x"). */
export function agentErrorFor(status: number, action?: string): AgentError {
  const [code, message] = BY_STATUS[status] ?? [
    'failed',
    `The node answered ${status}${status >= 500 ? ': it may be busy or failing' : ''}.`,
  ];
  return new AgentError(status, code, action ? `${action}: ${message}` : message);
}

export function unreachable(cause: unknown): AgentError {
  return new AgentError(0, 'unreachable', 'Could not reach the storage node. Check your connection.', {
    cause,
  });
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
