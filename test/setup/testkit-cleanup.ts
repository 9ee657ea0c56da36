// Runs after every test file: stops processes the testkit started and removes its temp dirs, even when a
// test file forgets (Vitest ends its workers without running exit hooks).

import { removeTempDirs, stopAll } from '@homeport/testkit';
import { afterAll } from 'vitest';

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});
