// Every URL of the SPA and what renders there; pages behind the shell are loaded on demand (and can be
// fetched again when that failed, see lazy-page.tsx).
import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth } from './auth/require-auth';
import { AppLayout } from './layout/app-layout';
import { lazyPage } from './lib/lazy-page';
import { LoginPage } from './pages/auth/login-page';
import { RegisterPage } from './pages/auth/register-page';
import { AdminOnly, SettingsIndex } from './pages/settings/settings-guards';

const StoragePage = lazyPage(() => import('./pages/storage/storage-page'));
const RoomsPage = lazyPage(() => import('./pages/rooms/rooms-page'));
const DeploysPage = lazyPage(() => import('./pages/deploys/deploys-page'));
const SettingsPage = lazyPage(() => import('./pages/settings/settings-page'));
const UsersPanel = lazyPage(() => import('./pages/settings/users/users-panel'));
const TokensPanel = lazyPage(() => import('./pages/settings/tokens/tokens-panel'));
const SessionsPanel = lazyPage(() => import('./pages/settings/sessions/sessions-panel'));
const AuthenticationPanel = lazyPage(() => import('./pages/settings/authentication/authentication-panel'));
const StorageSettingsPanel = lazyPage(() => import('./pages/settings/storage/storage-panel'));
const SignInPanel = lazyPage(() => import('./pages/settings/sign-in/sign-in-panel'));
const BusPanel = lazyPage(() => import('./pages/settings/bus/bus-panel'));
const NotFoundPage = lazyPage(() => import('./pages/not-found-page'));
const FilesPage = lazyPage(() => import('./pages/files/files-page'));
const ShareLinksPage = lazyPage(() => import('./pages/files/share-links-page'));
// A share link's page: for visitors without an account, so outside the signed-in shell.
const SharePage = lazyPage(() => import('./pages/share/share-page'));

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/register" element={<RegisterPage />} />
      <Route path="/s/:shareId" element={<SharePage />} />
      <Route
        element={
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/storage" replace />} />
        <Route path="storage" element={<StoragePage />} />
        <Route path="files/:exportId/*" element={<FilesPage />} />
        <Route path="shares" element={<ShareLinksPage />} />
        <Route path="rooms" element={<RoomsPage />} />
        <Route path="rooms/:roomId" element={<RoomsPage />} />
        <Route path="deploys" element={<DeploysPage />} />
        <Route path="settings" element={<SettingsPage />}>
          <Route index element={<SettingsIndex />} />
          <Route
            path="users"
            element={
              <AdminOnly>
                <UsersPanel />
              </AdminOnly>
            }
          />
          <Route
            path="authentication"
            element={
              <AdminOnly>
                <AuthenticationPanel />
              </AdminOnly>
            }
          />
          <Route
            path="storage"
            element={
              <AdminOnly>
                <StorageSettingsPanel />
              </AdminOnly>
            }
          />
          <Route path="bus" element={<BusPanel />} />
          <Route path="sign-in" element={<SignInPanel />} />
          <Route path="tokens" element={<TokensPanel />} />
          <Route path="sessions" element={<SessionsPanel />} />
        </Route>
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
