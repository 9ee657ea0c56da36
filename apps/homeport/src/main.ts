// Entry point of the `homeport` binary: run the CLI, print configuration problems plainly, exit non-zero.
// Commands flush their own loggers before an error reaches here, so process.exit loses no log line.

import { ConfigError, HomeportError } from '@homeport/core';
import { PortInUseError } from './cli/ports.js';
import { buildProgram } from './cli/program.js';

/** One line per problem, each prefixed, so a person sees at once what to change. */
function report(lines: readonly string[]): void {
  for (const line of lines) console.error(`homeport: ${line}`);
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof PortInUseError) {
      report(error.lines);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      report([error.message]);
      process.exit(2);
    }
    if (error instanceof HomeportError) {
      report([error.message]);
      process.exit(1);
    }
    // A port taken between the check and the listen (a race): still one line, not a stack trace.
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
      report([`${(error as Error).message}; stop the other process or pick another port`]);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  });
