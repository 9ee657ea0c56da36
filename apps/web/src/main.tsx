// Entry point: providers (theme, notifications, connection, API client, auth, router) around the routes.
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiProvider } from './api/api-context';
import { createApiClient } from './api/client';
import { createConnectionMonitor } from './api/connection';
import { ConnectionProvider } from './api/connection-context';
import { AppRoutes } from './app-routes';
import { AuthProvider } from './auth/auth-context';
import { ConnectionBanner } from './components/connection-banner';
import { RouteErrorBoundary } from './components/route-error-boundary';
import { theme } from './theme';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const connection = createConnectionMonitor();
const api = createApiClient({ connection });

createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      {/* Bottom corner: at the top they would cover the header's "Log out" button. */}
      <Notifications position="bottom-right" />
      <ConnectionProvider monitor={connection}>
        <ConnectionBanner />
        <ApiProvider client={api}>
          <AuthProvider>
            <BrowserRouter>
              {/* The last line of defence; routes in the shell have their own boundaries. */}
              <RouteErrorBoundary resetKey="app" fullPage>
                <AppRoutes />
              </RouteErrorBoundary>
            </BrowserRouter>
          </AuthProvider>
        </ApiProvider>
      </ConnectionProvider>
    </MantineProvider>
  </StrictMode>,
);
