// Code-defined routes. Everything but /login sits under the `_app` layout, which checks the session
// first; pages other than the shell and sign-in are lazy chunks.
import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from '@tanstack/react-router';
import { ApiError } from './api/client';
import { sessionQuery } from './api/queries';
import { QueryError } from './components/Status';
import { Shell } from './components/Shell';
import { LoginPage } from './pages/Login';
import { NotFound } from './pages/NotFound';

export interface RouterContext {
  queryClient: QueryClient;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const oneOf = <T extends string>(v: unknown, values: readonly T[]): T | undefined =>
  values.includes(v as T) ? (v as T) : undefined;

/** Only local paths are followed after sign-in (no open redirect to another site). */
export const safeRedirect = (v: unknown): string | undefined => {
  const s = str(v);
  return s && s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\') ? s : undefined;
};

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFound,
});

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (s: Record<string, unknown>): { redirect?: string } => ({
    redirect: safeRedirect(s.redirect),
  }),
  component: LoginPage,
});

const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: '_app',
  beforeLoad: async ({ context, location }) => {
    try {
      await context.queryClient.ensureQueryData(sessionQuery);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401)
        throw redirect({ to: '/login', search: { redirect: location.href } });
      throw e;
    }
  },
  component: Shell,
  errorComponent: ({ error }) => <QueryError error={error} title="Central is not reachable" />,
});

const dashboardRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  component: lazyRouteComponent(() => import('./pages/Dashboard'), 'DashboardPage'),
});

export const STREAMER_STATES = ['online', 'suspect', 'offline'] as const;
const streamersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/streamers',
  validateSearch: (s: Record<string, unknown>): { state?: (typeof STREAMER_STATES)[number]; q?: string } => ({
    state: oneOf(s.state, STREAMER_STATES),
    q: str(s.q),
  }),
  component: lazyRouteComponent(() => import('./pages/Streamers'), 'StreamersPage'),
});

export const STREAMER_TABS = ['overview', 'settings'] as const;
const streamerRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/streamers/$hostname',
  validateSearch: (s: Record<string, unknown>): { tab?: (typeof STREAMER_TABS)[number] } => ({
    tab: oneOf(s.tab, STREAMER_TABS),
  }),
  component: lazyRouteComponent(() => import('./pages/Streamer'), 'StreamerPage'),
});

const mediaRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/media',
  beforeLoad: () => {
    throw redirect({ to: '/media/streams' });
  },
});

export const STREAM_STATUSES = ['running', 'waiting', 'error', 'disabled'] as const;
export interface StreamsSearch {
  q?: string;
  status?: (typeof STREAM_STATUSES)[number];
  streamer?: string;
  sort?: string;
  cursor?: string;
}
// `/media/streams` is a layout: its index is the list and its splat the stream profile (a splat route
// beside the list would also match the bare `/media/streams` with an empty name).
const streamsLayoutRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/media/streams',
});

const streamsRoute = createRoute({
  getParentRoute: () => streamsLayoutRoute,
  path: '/',
  validateSearch: (s: Record<string, unknown>): StreamsSearch => ({
    q: str(s.q),
    status: oneOf(s.status, STREAM_STATUSES),
    streamer: str(s.streamer),
    sort: str(s.sort),
    cursor: str(s.cursor),
  }),
  component: lazyRouteComponent(() => import('./pages/Streams'), 'StreamsPage'),
});

export const STREAM_TABS = ['overview', 'input', 'output', 'settings'] as const;
// Stream names may contain `/`, so the name is the splat (`/media/streams/mylive/bunny`).
const streamRoute = createRoute({
  getParentRoute: () => streamsLayoutRoute,
  path: '$',
  validateSearch: (s: Record<string, unknown>): { tab?: (typeof STREAM_TABS)[number] } => ({
    tab: oneOf(s.tab, STREAM_TABS),
  }),
  component: lazyRouteComponent(() => import('./pages/Stream'), 'StreamPage'),
});

const routeTree = rootRoute.addChildren([
  loginRoute,
  appRoute.addChildren([
    dashboardRoute,
    streamersRoute,
    streamerRoute,
    mediaRoute,
    streamsLayoutRoute.addChildren([streamsRoute, streamRoute]),
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
    defaultNotFoundComponent: NotFound,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
