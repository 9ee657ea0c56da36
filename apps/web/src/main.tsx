// Entry point: providers (theme, notifications, API client, auth, router) around the routes.
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiProvider } from './api/api-context';
import { createApiClient } from './api/client';
import { AppRoutes } from './app-routes';
import { AuthProvider } from './auth/auth-context';
import { theme } from './theme';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const api = createApiClient();

createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      {/* Bottom corner: at the top they would cover the header's "Log out" button. */}
      <Notifications position="bottom-right" />
      <ApiProvider client={api}>
        <AuthProvider>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </AuthProvider>
      </ApiProvider>
    </MantineProvider>
  </StrictMode>,
);
