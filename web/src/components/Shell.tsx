// The app frame: header (product, theme toggle, user menu) and the sidebar; a burger on small screens.
import {
  ActionIcon,
  AppShell,
  Burger,
  Group,
  Menu,
  NavLink,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { useEffect } from 'react';
import { request } from '../api/client';
import { sessionQuery } from '../api/queries';
import { IconDashboard, IconLogout, IconMoon, IconServer, IconSun, IconUser, IconVideo } from './Icons';

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon
        variant="default"
        size="lg"
        aria-label={`Switch to ${next} theme`}
        data-testid="theme-toggle"
        onClick={() => setColorScheme(next)}
      >
        {computed === 'dark' ? <IconSun /> : <IconMoon />}
      </ActionIcon>
    </Tooltip>
  );
}

function UserMenu() {
  const { data } = useQuery(sessionQuery);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { setColorScheme } = useMantineColorScheme();
  const signOut = async () => {
    try {
      await request('DELETE', '/ui/api/session', undefined, { quiet401: true });
    } catch {
      /* signed out either way: the cookie is gone or was never valid */
    }
    queryClient.clear();
    await navigate({ to: '/login', search: {} });
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton
          aria-label="User menu"
          data-testid="user-menu"
          style={{ borderRadius: 8, padding: 4 }}
        >
          <Group gap={6} wrap="nowrap">
            <IconUser />
            <Text size="sm" visibleFrom="xs">
              {data?.login ?? ''}
            </Text>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Signed in as {data?.login}</Menu.Label>
        <Menu.Item onClick={() => setColorScheme('auto')}>Follow system theme</Menu.Item>
        <Menu.Divider />
        <Menu.Item
          color="red"
          leftSection={<IconLogout size={16} />}
          onClick={signOut}
          data-testid="sign-out"
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

const NAV = [
  { to: '/', label: 'Dashboard', icon: IconDashboard, exact: true, testId: 'nav-dashboard' },
  { to: '/streamers', label: 'Streamers', icon: IconServer, exact: false, testId: 'nav-streamers' },
] as const;

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  useEffect(close, [pathname, close]);
  const active = (to: string, exact: boolean) => (exact ? pathname === to : pathname.startsWith(to));
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? 'Close navigation' : 'Open navigation'}
              data-testid="burger"
            />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }} aria-label="Central home">
              <Text fw={700} size="lg">
                Central
              </Text>
            </Link>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {NAV.map((n) => (
          <NavLink
            key={n.to}
            label={n.label}
            leftSection={<n.icon />}
            active={active(n.to, n.exact)}
            data-testid={n.testId}
            renderRoot={(props) => <Link to={n.to} {...props} />}
          />
        ))}
        <NavLink
          label="Media"
          leftSection={<IconVideo />}
          data-testid="nav-media"
          // The section link leads to its first page; only that page's own link shows as current.
          renderRoot={(props) => <Link to="/media" activeOptions={{ exact: true }} {...props} />}
        />
        <NavLink
          label="Streams"
          pl={44}
          active={active('/media/streams', false)}
          data-testid="nav-streams"
          renderRoot={(props) => <Link to="/media/streams" {...props} />}
        />
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
