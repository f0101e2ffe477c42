// Sign-in: login + password → POST /ui/api/session (HttpOnly cookie), then back to the page asked for.
import { Alert, Box, Button, Center, Code, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearch } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { ApiError, request } from '../api/client';
import { sessionQuery } from '../api/queries';
import type { Session } from '../api/types';
import { SecretInput } from '../components/SecretInput';

function EditAuthHint() {
  return (
    <Alert color="yellow" title="Sign-in is not configured" data-testid="edit-auth-hint">
      <Text size="sm">
        Set the administrator login and password in <Code>/etc/central/central.conf</Code> (or the
        environment) and restart Central:
      </Text>
      <Code block mt="xs">
        EDIT_AUTH=&quot;login password&quot;
      </Code>
    </Alert>
  );
}

/** Seconds left of a rate-limit pause, counting down to zero. */
function useCountdown(): [number, (s: number) => void] {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= now) return;
    const t = setTimeout(() => setNow(Date.now()), 250);
    return () => clearTimeout(t);
  }, [until, now]);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return [left, (s) => (setUntil(Date.now() + s * 1000), setNow(Date.now()))];
}

export function LoginPage() {
  const { redirect } = useSearch({ from: '/login' });
  const router = useRouter();
  const queryClient = useQueryClient();
  const session = useQuery({ ...sessionQuery, staleTime: 0 });
  const [error, setError] = useState<string | null>(null);
  const [notConfigured, setNotConfigured] = useState(false);
  const [wait, startWait] = useCountdown();
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { login: '', password: '' },
    validate: {
      login: (v) => (v.trim() ? null : 'Enter the login'),
      password: (v) => (v ? null : 'Enter the password'),
    },
  });

  const target = redirect ?? '/';
  const goOn = () => router.history.push(target);

  // Already signed in (a second tab, or the back button): go straight on.
  useEffect(() => {
    if (session.data?.login) goOn();
  }, [session.data]);

  const sessionError = session.error instanceof ApiError ? session.error : null;
  const editAuthOff = notConfigured || sessionError?.body?.edit_auth === false;

  const submit = form.onSubmit(async (values) => {
    setError(null);
    setBusy(true);
    try {
      const s = await request<Session>('POST', '/ui/api/session', values, { quiet401: true });
      queryClient.setQueryData(sessionQuery.queryKey, { login: s?.login ?? values.login, edit_auth: true });
      goOn();
    } catch (e) {
      if (!(e instanceof ApiError)) setError(String(e));
      else if (e.status === 429) {
        startWait(e.retryAfter ?? 60);
      } else if (e.status === 409 || e.code === 'edit_auth_not_configured') setNotConfigured(true);
      else if (e.status === 401) setError('Wrong login or password');
      else setError(e.message);
    } finally {
      setBusy(false);
    }
  });

  return (
    <Center mih="100vh" p="md">
      <Box w="100%" maw={380}>
        <Stack gap="lg">
          <Stack gap={4} align="center">
            <Title order={1} size="h2">
              Central
            </Title>
            <Text c="dimmed" size="sm">
              Sign in to manage your streaming fleet
            </Text>
          </Stack>
          <Paper withBorder shadow="sm" p="lg" radius="md">
            <form onSubmit={submit} noValidate aria-label="Sign in">
              <Stack>
                {editAuthOff && <EditAuthHint />}
                {error && (
                  <Alert color="red" role="alert" data-testid="login-error">
                    {error}
                  </Alert>
                )}
                {wait > 0 && (
                  <Alert color="orange" role="alert" data-testid="login-rate-limited">
                    Too many attempts, try again in {wait} s
                  </Alert>
                )}
                <TextInput
                  label="Login"
                  autoComplete="username"
                  data-autofocus
                  autoFocus
                  data-testid="login-input"
                  {...form.getInputProps('login')}
                />
                <SecretInput
                  label="Password"
                  autoComplete="current-password"
                  data-testid="password-input"
                  {...form.getInputProps('password')}
                />
                <Button type="submit" loading={busy} disabled={wait > 0} data-testid="sign-in" fullWidth>
                  Sign in
                </Button>
              </Stack>
            </form>
          </Paper>
        </Stack>
      </Box>
    </Center>
  );
}
