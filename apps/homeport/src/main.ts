// Entry point of the `homeport` binary: run the CLI, print configuration problems plainly, exit non-zero.

import { ConfigError, HomeportError } from '@homeport/core';
import { buildProgram } from './cli/program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`homeport: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof HomeportError) {
      console.error(`homeport: ${error.message}`);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  });
