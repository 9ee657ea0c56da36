// The signed-in shell: header, collapsible navbar (a drawer on phones) and the current page.
import { AppShell } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense } from 'react';
import { Outlet } from 'react-router';
import { FullPageLoader } from '../components/full-page-loader';
import { AppHeader } from './app-header';
import { AppNavbar } from './app-navbar';

export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure(false);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <AppHeader navbarOpened={opened} onToggleNavbar={toggle} />
      </AppShell.Header>
      <AppShell.Navbar p="sm">
        <AppNavbar onNavigate={close} />
      </AppShell.Navbar>
      <AppShell.Main>
        {/* Pages are loaded on demand; the shell stays on screen while one arrives. */}
        <Suspense fallback={<FullPageLoader />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
