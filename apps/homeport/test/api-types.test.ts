// The web UI's API types are generated from the server's OpenAPI document: this fails when a route schema
// changed and `npm run api-types` was not run, so the SPA cannot silently drift from the API.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from './support/api-types.js';

describe('generated API types', () => {
  it('match the route schemas (run `npm run api-types` after changing a schema)', async () => {
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    const current = await generateApiTypes();
    expect(current === committed, 'apps/web/src/api/openapi.gen.ts is stale: run `npm run api-types`').toBe(
      true,
    );
  });
});
