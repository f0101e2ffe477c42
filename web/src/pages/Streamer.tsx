// One streamer: Overview (health checks, last-hour charts, its streams) and Settings; Delete.
import { Alert, Badge, Card, Group, SimpleGrid, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiError } from '../api/client';
import { formatDuration, formatKbit, formatPercent, relativeTime } from '../api/format';
import { statsHistoryQuery, streamerQuery } from '../api/queries';
import type { HealthChecks, Streamer } from '../api/types';
import { ConfirmDelete, useDelete } from '../components/ConfirmDelete';
import { useNow } from '../components/hooks';
import { IconCheck, IconX } from '../components/Icons';
import { LineChart } from '../components/LineChart';
import { FactList, ProfileHeader, ProfileTabs } from '../components/Profile';
import { PageLoader, QueryError, StreamerStateBadge } from '../components/Status';
import { StreamsTable } from '../components/StreamsTable';
import { STREAMER_TABS } from '../router';
import { StreamerSettings, ProvisioningStatus } from './StreamerSettings';

const CHECKS: { key: keyof HealthChecks; label: string }[] = [
  { key: 'reachable', label: 'Reachable' },
  { key: 'valid_cluster_key', label: 'Valid cluster key' },
  { key: 'config_external_ok', label: 'config_external OK' },
  { key: 'time_synchronized', label: 'Clock in sync' },
  { key: 'running', label: 'Streamer running' },
  { key: 'config_ok', label: 'Config OK' },
];

function healthChecks(s: Streamer): HealthChecks | null {
  const h = s.stats?.healthcheck_status;
  if (!h) return null;
  return h.checks ?? h;
}

function HealthPanel({ streamer }: { streamer: Streamer }) {
  const checks = healthChecks(streamer);
  const offline = (streamer.status?.state ?? 'offline') === 'offline';
  const details = checks?.errors_details ?? [];
  return (
    <Card withBorder data-testid="health-checks">
      <Title order={3} size="h5" mb="sm">
        Health
      </Title>
      {!checks ? (
        <Text c="dimmed" size="sm">
          {offline
            ? `No contact with the streamer${streamer.status?.error ? `: ${streamer.status.error}` : ''}`
            : 'No checks yet'}
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs">
          {CHECKS.map((c) => {
            const ok = checks[c.key] === true;
            return (
              <Group key={c.key} gap="xs" wrap="nowrap" data-testid={`health-${c.key}`} data-ok={ok}>
                <Badge color={ok ? 'green' : 'red'} variant="filled" circle size="lg" aria-hidden>
                  {ok ? <IconCheck size={12} /> : <IconX size={12} />}
                </Badge>
                <Text size="sm">
                  {c.label}
                  <VisuallyHidden>{ok ? ': ok' : ': failing'}</VisuallyHidden>
                </Text>
              </Group>
            );
          })}
        </SimpleGrid>
      )}
      {details.length > 0 && (
        <Alert color="red" mt="sm" title="Problems">
          {details.map((d) => (
            <Text size="sm" key={d.rule}>
              <b>{d.rule}</b>: {d.error}
            </Text>
          ))}
        </Alert>
      )}
    </Card>
  );
}

function Facts({ streamer }: { streamer: Streamer }) {
  const now = useNow();
  const st = streamer.status;
  const s = streamer.stats;
  const rows: [string, React.ReactNode][] = [
    ['State', <StreamerStateBadge key="s" state={st?.state} />],
    ['Streams', st?.streams ?? 0],
    ['Last seen', relativeTime(st?.last_seen_at, now)],
    ['Online for', st?.online_since ? formatDuration(now - st.online_since) : '—'],
    ['Version', s?.server_version ?? '—'],
    ['CPU / memory', `${formatPercent(s?.cpu_usage)} / ${formatPercent(s?.memory_usage)}`],
    ['Input / output', `${formatKbit(s?.input_kbit)} / ${formatKbit(s?.output_kbit)}`],
    ['API URL', streamer.api_url ?? `http://${streamer.hostname} (default)`],
  ];
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="sm">
        Status
      </Title>
      <FactList rows={rows} breakAll />
    </Card>
  );
}

type ChartKey = 'cpu_usage' | 'memory_usage' | 'bandwidth_usage';

// All three are percentages of the streamer's capacity, so they share the 0–100 scale.
const CHARTS: { key: ChartKey; title: string; color: string; testId: string }[] = [
  { key: 'cpu_usage', title: 'CPU', color: '#228be6', testId: 'chart-cpu' },
  { key: 'memory_usage', title: 'Memory', color: '#7950f2', testId: 'chart-memory' },
  { key: 'bandwidth_usage', title: 'Bandwidth', color: '#12b886', testId: 'chart-bandwidth' },
];

const pct = (v: number) => `${Math.round(v)}%`;

function Charts({ hostname }: { hostname: string }) {
  const { data, error } = useQuery(statsHistoryQuery(hostname));
  if (error)
    return (
      <Text c="dimmed" size="sm">
        Load history is not available{error instanceof ApiError ? ` (${error.message})` : ''}.
      </Text>
    );
  const pts = data?.points ?? [];
  return (
    <SimpleGrid cols={{ base: 1, md: 3 }} data-testid="streamer-charts">
      {CHARTS.map(({ key, title, color, testId }) => (
        <Card withBorder key={key}>
          <LineChart
            title={title}
            yMax={100}
            format={pct}
            series={[
              {
                name: title,
                color,
                points: pts
                  .filter((p) => typeof p[key] === 'number')
                  .map((p) => ({ x: p.at, y: p[key] as number })),
              },
            ]}
            testId={testId}
          />
        </Card>
      ))}
    </SimpleGrid>
  );
}

function Overview({ streamer }: { streamer: Streamer }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [sort, setSort] = useState<string | undefined>();
  const pending = streamer.status?.provisioning?.status;
  return (
    <Stack>
      {pending !== 'ok' && <ProvisioningStatus streamer={streamer} />}
      {pending === 'ok' && (streamer.status?.state ?? 'offline') === 'online' && (
        <Alert color="green" data-testid="streamer-connected" title="Connected">
          Central writes this streamer&apos;s config_external and reads its stats.
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <HealthPanel streamer={streamer} />
        <Facts streamer={streamer} />
      </SimpleGrid>
      <Charts hostname={streamer.hostname} />
      <Title order={3} size="h4">
        Streams on this streamer
      </Title>
      <StreamsTable
        params={{ streamer: streamer.hostname, cursor, sort }}
        onCursor={setCursor}
        onSort={(s) => {
          setSort(s);
          setCursor(undefined);
        }}
        hideStreamer
        empty="No streams run here"
      />
    </Stack>
  );
}

export function StreamerPage() {
  const { hostname } = useParams({ from: '/_app/streamers/$hostname' });
  const { tab = 'overview' } = useSearch({ from: '/_app/streamers/$hostname' });
  const navigate = useNavigate({ from: '/streamers/$hostname' });
  const del = useDelete({
    path: `/streamers/${encodeURIComponent(hostname)}`,
    queryKey: streamerQuery(hostname).queryKey,
    leave: () => navigate({ to: '/streamers', search: {} }),
  });
  const { data, error, isPending } = useQuery({
    ...streamerQuery(hostname),
    // While Central is provisioning the streamer, look more often.
    refetchInterval: (q) => (q.state.data?.status?.provisioning?.status === 'pending' ? 1000 : 5000),
  });

  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;

  return (
    <Stack>
      <ProfileHeader
        parent={{ label: 'Streamers', link: { to: '/streamers', search: {} } }}
        title={data.hostname}
        titleTestId="streamer-title"
        badge={<StreamerStateBadge state={data.status?.state} size="lg" />}
        onDelete={del.open}
        deleteTestId="delete-streamer"
      />
      <ProfileTabs<(typeof STREAMER_TABS)[number]>
        value={tab}
        onChange={(t) => navigate({ search: { tab: t === 'overview' ? undefined : t }, replace: true })}
        tabs={[
          {
            value: 'overview',
            label: 'Overview',
            // Mounted only while shown (charts measure their width); Settings stays mounted to keep edits.
            panel: tab === 'overview' && <Overview streamer={data} />,
          },
          { value: 'settings', label: 'Settings', panel: <StreamerSettings streamer={data} /> },
        ]}
      />
      <ConfirmDelete {...del.dialog} noun="streamer" name={data.hostname}>
        Its streams move to other streamers.
      </ConfirmDelete>
    </Stack>
  );
}
