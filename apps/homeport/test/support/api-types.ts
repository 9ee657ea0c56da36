// Generates the web UI's API types from the OpenAPI document the server builds from its route schemas, so
// the SPA cannot drift from the API: `npm run api-types` writes them, and a test fails when they are stale.
//
// Run: npm run api-types

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildApp } from './app.js';

export const API_TYPES_FILE = fileURLToPath(new URL('../../../web/src/api/openapi.gen.ts', import.meta.url));

const HEADER = `// Generated from /api/v1/openapi.json by apps/homeport/test/support/api-types.ts — do not edit.
// Regenerate with \`npm run api-types\` (a test fails while this file is stale). Biome skips it (biome.json).
`;

/** The TypeScript the current route schemas produce (every module on, as `homeport start` runs them). */
export async function generateApiTypes(): Promise<string> {
  const t = await buildApp({ env: { HOMEPORT_CLIENT_TOKEN: 'api-types-client-token-0123' } });
  try {
    // The server's OpenAPI 3.0.3 document, as @fastify/swagger builds it from the route schemas.
    const document = (await t.app.inject({ url: '/api/v1/openapi.json' })).json<OpenAPI3>();
    const ast = await openapiTS(document, { alphabetize: true });
    return `${HEADER}\n${astToString(ast)}`;
  } finally {
    await t.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === join(process.argv[1])) {
  writeFileSync(API_TYPES_FILE, await generateApiTypes());
  console.log(`wrote ${API_TYPES_FILE}`);
}
