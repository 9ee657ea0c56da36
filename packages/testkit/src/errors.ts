// Errors the testkit throws, with a closed set of codes so a test (or the testkit's own tests) can tell
// "install this" from "the process did not start" without matching on message text.

export type TestkitErrorCode =
  /** A system command (chromium, wrk, nats-server…) is not installed; the message names the apt package. */
  | 'missing_dependency'
  /** A build output (the homeport bundle, the web UI) is missing; the message says which npm script makes it. */
  | 'missing_build'
  /** A process exited or never became ready; the message carries its captured output. */
  | 'startup_failed';

export class TestkitError extends Error {
  readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TestkitError';
    this.code = code;
  }
}
