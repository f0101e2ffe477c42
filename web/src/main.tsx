import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './app.css';
import { MantineProvider, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, setUnauthorizedHandler } from './api/client';
import { createAppRouter } from './router';

// The colour scheme is set before the first render (Mantine's storage key), so a dark system does not
// flash white. (No inline script in index.html: the CSP allows only 'self' scripts.)
try {
  const stored = localStorage.getItem('mantine-color-scheme-value');
  const scheme =
    stored === 'light' || stored === 'dark'
      ? stored
      : matchMedia('(prefers-color-scheme: dark)').matches
        ? 'dark'
        : 'light';
  document.documentElement.setAttribute('data-mantine-color-scheme', scheme);
} catch {
  /* storage blocked: Mantine falls back to the system scheme */
}

const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'md',
  // Keyboard focus is always shown (app.css draws the ring with :focus-visible).
  focusRing: 'auto',
  cursorType: 'pointer',
});

const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  defaultOptions: {
    queries: {
      staleTime: 2000,
      // 4xx answers do not get better by asking again.
      retry: (count, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
});

const router = createAppRouter(queryClient);

setUnauthorizedHandler(() => {
  queryClient.removeQueries({ queryKey: ['session'] });
  const here = router.state.location;
  if (here.pathname !== '/login') void router.navigate({ to: '/login', search: { redirect: here.href } });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <Notifications position="bottom-right" />
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
