// One streamer: Overview (health checks, last-hour charts, its streams) and Settings; Delete.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Tabs,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { api, ApiError } from '../api/client';
import { formatDuration, formatKbit, formatPercent, relativeTime } from '../api/format';
import { statsHistoryQuery, streamerQuery } from '../api/queries';
import type { HealthChecks, Streamer } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { useNow } from '../components/hooks';
import { IconCheck, IconTrash, IconX } from '../components/Icons';
import { LineChart } from '../components/LineChart';
import { PageLoader, QueryError, StreamerStateBadge } from '../components/Status';
import { StreamsTable } from '../components/StreamsTable';
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
      <Stack gap={6}>
        {rows.map(([k, v]) => (
          <Group key={k} justify="space-between" wrap="nowrap" gap="md">
            <Text size="sm" c="dimmed">
              {k}
            </Text>
            <Text size="sm" component="div" ta="right" style={{ wordBreak: 'break-all' }}>
              {v}
            </Text>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}

function Charts({ hostname }: { hostname: string }) {
  const { data, error } = useQuery(statsHistoryQuery(hostname));
  if (error)
    return (
      <Text c="dimmed" size="sm">
        Load history is not available{error instanceof ApiError ? ` (${error.message})` : ''}.
      </Text>
    );
  const pts = data?.points ?? [];
  const series = (key: 'cpu_usage' | 'memory_usage' | 'bandwidth_usage', name: string, color: string) => ({
    name,
    color,
    points: pts.filter((p) => typeof p[key] === 'number').map((p) => ({ x: p.at, y: p[key] as number })),
  });
  const pct = (v: number) => `${Math.round(v)}%`;
  return (
    <SimpleGrid cols={{ base: 1, md: 3 }} data-testid="streamer-charts">
      <Card withBorder>
        <LineChart
          title="CPU"
          yMax={100}
          format={pct}
          series={[series('cpu_usage', 'CPU', '#228be6')]}
          testId="chart-cpu"
        />
      </Card>
      <Card withBorder>
        <LineChart
          title="Memory"
          yMax={100}
          format={pct}
          series={[series('memory_usage', 'Memory', '#7950f2')]}
          testId="chart-memory"
        />
      </Card>
      <Card withBorder>
        <LineChart
          title="Bandwidth"
          yMax={100}
          format={pct}
          series={[series('bandwidth_usage', 'Bandwidth', '#12b886')]}
          testId="chart-bandwidth"
        />
      </Card>
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
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { data, error, isPending } = useQuery({
    ...streamerQuery(hostname),
    // While Central is provisioning the streamer, look more often.
    refetchInterval: (q) => (q.state.data?.status?.provisioning?.status === 'pending' ? 1000 : 5000),
  });

  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;

  const remove = async () => {
    setBusy(true);
    setDeleteError(null);
    try {
      await api.del(`/streamers/${encodeURIComponent(hostname)}`);
      queryClient.removeQueries({ queryKey: ['streamers', 'one', hostname] });
      await queryClient.invalidateQueries({ queryKey: ['streamers'] });
      await navigate({ to: '/streamers', search: {} });
    } catch (e) {
      setDeleteError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group gap="sm">
          <Anchor size="sm" renderRoot={(props) => <Link to="/streamers" search={{}} {...props} />}>
            Streamers
          </Anchor>
          <Text c="dimmed">/</Text>
          <Title order={2} style={{ wordBreak: 'break-all' }} data-testid="streamer-title">
            {data.hostname}
          </Title>
          <StreamerStateBadge state={data.status?.state} size="lg" />
        </Group>
        <Button
          color="red"
          variant="light"
          leftSection={<IconTrash size={16} />}
          onClick={() => setDeleting(true)}
          data-testid="delete-streamer"
        >
          Delete
        </Button>
      </Group>
      <Tabs
        value={tab}
        onChange={(t) =>
          navigate({ search: { tab: t === 'overview' ? undefined : (t as 'settings') }, replace: true })
        }
      >
        <Tabs.List>
          <Tabs.Tab value="overview" data-testid="tab-overview">
            Overview
          </Tabs.Tab>
          <Tabs.Tab value="settings" data-testid="tab-settings">
            Settings
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          {/* Mounted only while shown (charts measure their width); Settings stays mounted to keep edits. */}
          {tab === 'overview' && <Overview streamer={data} />}
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <StreamerSettings streamer={data} />
        </Tabs.Panel>
      </Tabs>
      <ConfirmDelete
        opened={deleting}
        onClose={() => setDeleting(false)}
        onConfirm={remove}
        noun="streamer"
        name={data.hostname}
        loading={busy}
        error={deleteError}
      >
        Its streams move to other streamers.
      </ConfirmDelete>
    </Stack>
  );
}
