// Loads the public sign-in options (local login, registration, OIDC) for the login and register pages.
import { useCallback } from 'react';
import { useApi } from '../../api/api-context';
import type { AuthConfig } from '../../api/types';
import { type AsyncData, useAsyncData } from '../../hooks/use-async-data';

export function useAuthConfig(): AsyncData<AuthConfig> {
  const api = useApi();
  return useAsyncData(useCallback((signal: AbortSignal) => api.auth.config({ signal }), [api]));
}
