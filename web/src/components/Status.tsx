// Status badges and small shared bits of page chrome.
import { Alert, Badge, Center, Loader, type BadgeProps } from '@mantine/core';
import type { ProvisioningStatus, Stream, StreamerState } from '../api/types';
import { ApiError } from '../api/client';

const STREAM_COLORS: Record<string, string> = {
  running: 'green',
  waiting: 'yellow',
  error: 'red',
  disabled: 'gray',
};

export function streamStatus(s: Pick<Stream, 'disabled' | 'stats'>): string {
  if (s.disabled) return 'disabled';
  return s.stats?.status ?? 'waiting';
}

export function StreamStatusBadge({
  stream,
  ...rest
}: { stream: Pick<Stream, 'disabled' | 'stats'> } & BadgeProps) {
  const st = streamStatus(stream);
  return (
    <Badge color={STREAM_COLORS[st] ?? 'gray'} variant="light" data-status={st} {...rest}>
      {st}
    </Badge>
  );
}

const STATE_COLORS: Record<StreamerState, string> = { online: 'green', suspect: 'orange', offline: 'red' };

export function StreamerStateBadge({ state, ...rest }: { state: StreamerState | undefined } & BadgeProps) {
  const st = state ?? 'offline';
  return (
    <Badge color={STATE_COLORS[st]} variant="light" data-state={st} {...rest}>
      {st}
    </Badge>
  );
}

const PROVISION_COLORS: Record<ProvisioningStatus, string> = {
  ok: 'green',
  pending: 'blue',
  error: 'red',
  disabled: 'gray',
  not_configured: 'gray',
};

export function ProvisioningBadge({ status }: { status: ProvisioningStatus | undefined }) {
  const st = status ?? 'pending';
  return (
    <Badge color={PROVISION_COLORS[st]} variant="light">
      {st.replace('_', ' ')}
    </Badge>
  );
}

export function PageLoader() {
  return (
    <Center py="xl">
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function QueryError({ error, title = 'Could not load' }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <Alert color="red" title={notFound ? 'Not found' : title} role="alert">
      {message}
    </Alert>
  );
}
