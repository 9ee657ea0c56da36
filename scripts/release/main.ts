// `npm run release [-- --out DIR]`: the release tarball from the current build (run `npm run build` first).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ReleaseError } from './errors.js';
import { createRelease } from './release.js';

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

try {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  const release = await createRelease({
    repoRoot: fileURLToPath(new URL('../../', import.meta.url)),
    ...(values.out === undefined ? {} : { outDir: values.out }),
  });
  console.log(`${release.tarball} (${mebibytes(release.bytes)})`);
  console.log(`  sha256 ${release.sha256}`);
  console.log(`  ${release.bundleFiles} bundle files, ${release.packages.length} npm packages:`);
  console.log(`  ${release.packages.map((pkg) => `${pkg.name}@${pkg.version}`).join(' ')}`);
  if (release.leftOut.length > 0) console.log(`  left out as build-time only: ${release.leftOut.join(' ')}`);
} catch (error) {
  if (!(error instanceof ReleaseError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')))
    throw error;
  console.error(`release: ${(error as Error).message}`);
  process.exit(1);
}
