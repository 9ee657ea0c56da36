// /settings: tabs for Users, Authentication and Storage (admins only), Bus, Sign-in, API tokens and Sessions,
// each its own sub-route.
import { Tabs } from '@mantine/core';
import { Suspense } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useCurrentUser } from '../../auth/auth-context';
import { PageHeader } from '../../components/page-header';
import { RouteErrorBoundary } from '../../components/route-error-boundary';
import { TableSkeleton } from '../../components/table-skeleton';

interface SettingsTab {
  value: string;
  label: string;
  adminOnly: boolean;
}

const tabs: readonly SettingsTab[] = [
  { value: 'users', label: 'Users', adminOnly: true },
  { value: 'authentication', label: 'Authentication', adminOnly: true },
  { value: 'storage', label: 'Storage', adminOnly: true },
  // Everyone: members see their own devices there, admins the bus's status and allowlist too.
  { value: 'bus', label: 'Bus', adminOnly: false },
  { value: 'sign-in', label: 'Sign-in', adminOnly: false },
  { value: 'tokens', label: 'API tokens', adminOnly: false },
  { value: 'sessions', label: 'Sessions', adminOnly: false },
];

export default function SettingsPage() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const visible = tabs.filter((tab) => !tab.adminOnly || user.role === 'admin');
  const current = visible.find((tab) => pathname.startsWith(`/settings/${tab.value}`));

  return (
    <>
      <PageHeader
        title="Settings"
        description="Accounts, how people sign in, the bus, API access and where you are signed in."
      />
      <Tabs
        value={current?.value ?? null}
        onChange={(value) => value && navigate(`/settings/${value}`)}
        keepMounted={false}
      >
        <Tabs.List mb="lg">
          {visible.map((tab) => (
            <Tabs.Tab key={tab.value} value={tab.value}>
              {tab.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {/* Only the active panel mounts, so the one <Outlet /> renders inside the panel its tab controls. */}
        {visible.map((tab) => (
          <Tabs.Panel key={tab.value} value={tab.value}>
            {/* A tab whose code fails to load keeps the tabs usable around its error. */}
            <RouteErrorBoundary resetKey={pathname}>
              <Suspense fallback={<TableSkeleton />}>
                <Outlet />
              </Suspense>
            </RouteErrorBoundary>
          </Tabs.Panel>
        ))}
      </Tabs>
      {/* On a path no tab owns (the redirects below), there is no panel to hold the outlet. */}
      {!current && <Outlet />}
    </>
  );
}
