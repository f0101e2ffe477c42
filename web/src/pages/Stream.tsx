// The stream profile: Overview, Input, Output (URLs and a player) and Settings tabs; Delete.
import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { api, namePath } from '../api/client';
import { formatDuration, formatKbit, formatTime, relativeTime } from '../api/format';
import { layoutsQuery, streamQuery } from '../api/queries';
import type { Stream } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { useNow } from '../components/hooks';
import { IconTrash } from '../components/Icons';
import { PageLoader, QueryError, StreamStatusBadge } from '../components/Status';
import { STREAM_TABS } from '../router';
import { StreamInputs } from './StreamInputs';
import { StreamOutput } from './StreamOutput';
import { StreamSettings } from './StreamSettings';

const REASONS: Record<string, string> = {
  not_distributed: 'placed',
  node_become_offline: 'streamer went offline',
  stream_disabled: 'stream disabled',
  node_deleted: 'streamer deleted',
  node_channel_limit_exceeded: 'streamer over its channel limit',
  namespace_mismatch: 'namespace mismatch',
  node_misses_stream_required_labels: 'streamer lacks the stream labels',
  stream_misses_node_required_labels: 'stream lacks the streamer labels',
  relayout_by_api: 'moved through the API',
};

function LayoutHistory({ name }: { name: string }) {
  const { data, error } = useQuery(layoutsQuery(name));
  const now = useNow(15_000);
  if (error) return <QueryError error={error} title="Could not load the layout history" />;
  const items = data?.layouts ?? [];
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="sm">
        Layout history
      </Title>
      {!items.length ? (
        <Text size="sm" c="dimmed">
          {data ? 'Not placed on any streamer yet' : 'Loading…'}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={520}>
          <Table verticalSpacing={4} data-testid="layout-history">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Streamer</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>By</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((l, i) => (
                <Table.Tr key={`${l.created_at}-${i}`}>
                  <Table.Td className="nowrap" title={formatTime(l.created_at)}>
                    {relativeTime(l.created_at, now)}
                  </Table.Td>
                  <Table.Td>
                    {l.ingest ?? (
                      <Text c="dimmed" size="sm" span>
                        none
                      </Text>
                    )}
                    {l.failover_from && (
                      <Text size="xs" c="dimmed">
                        from {l.failover_from}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <span title={l.change_reason ?? undefined}>
                      {l.change_reason ? (REASONS[l.change_reason] ?? l.change_reason) : '—'}
                    </span>
                  </Table.Td>
                  <Table.Td>{l.originator ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function Overview({ stream }: { stream: Stream }) {
  const s = stream.stats;
  const ingest = stream.layout?.ingest;
  const rows: [string, React.ReactNode][] = [
    ['Status', <StreamStatusBadge key="b" stream={stream} />],
    ['Alive', stream.disabled ? '—' : s?.alive ? 'yes' : 'no'],
    [
      'Runs on',
      ingest ? (
        <Anchor
          key="a"
          size="sm"
          data-testid="stream-ingest"
          renderRoot={(props) => <Link to="/streamers/$hostname" params={{ hostname: ingest }} {...props} />}
        >
          {ingest}
        </Anchor>
      ) : (
        'not placed'
      ),
    ],
    ['Preferred streamer', stream.streamer_hostname ?? 'any'],
    ['Bitrate', formatKbit(s?.bitrate)],
    ['Uptime', s?.status === 'running' ? formatDuration(s.lifetime) : '—'],
  ];
  return (
    <Stack>
      {s?.source_error && (
        <Alert color="red" title="Source error">
          {String(s.source_error)}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder data-testid="stream-overview">
          <Stack gap={6}>
            {rows.map(([k, v]) => (
              <Group key={k} justify="space-between" wrap="nowrap">
                <Text size="sm" c="dimmed">
                  {k}
                </Text>
                <Text size="sm" component="div" ta="right">
                  {v}
                </Text>
              </Group>
            ))}
          </Stack>
        </Card>
        <LayoutHistory name={stream.name} />
      </SimpleGrid>
    </Stack>
  );
}

export function StreamPage() {
  const { _splat: name = '' } = useParams({ from: '/_app/media/streams/$' });
  const { tab = 'overview' } = useSearch({ from: '/_app/media/streams/$' });
  const navigate = useNavigate({ from: '/media/streams/$' });
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { data, error, isPending } = useQuery(streamQuery(name));

  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;

  const remove = async () => {
    setBusy(true);
    setDeleteError(null);
    try {
      await api.del(`/streams/${namePath(name)}`);
      queryClient.removeQueries({ queryKey: ['streams', 'one', name] });
      await queryClient.invalidateQueries({ queryKey: ['streams'] });
      await navigate({ to: '/media/streams', search: {} });
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
          <Anchor size="sm" renderRoot={(props) => <Link to="/media/streams" search={{}} {...props} />}>
            Streams
          </Anchor>
          <Text c="dimmed">/</Text>
          <Title order={2} style={{ wordBreak: 'break-all' }} data-testid="stream-title">
            {data.name}
          </Title>
          <StreamStatusBadge stream={data} size="lg" data-testid="stream-status" />
        </Group>
        <Button
          color="red"
          variant="light"
          leftSection={<IconTrash size={16} />}
          onClick={() => setDeleting(true)}
          data-testid="delete-stream"
        >
          Delete
        </Button>
      </Group>
      {data.title && <Text c="dimmed">{data.title}</Text>}
      <Tabs
        value={tab}
        onChange={(t) =>
          navigate({
            search: { tab: t === 'overview' ? undefined : (t as (typeof STREAM_TABS)[number]) },
            replace: true,
          })
        }
      >
        <Tabs.List>
          <Tabs.Tab value="overview" data-testid="tab-overview">
            Overview
          </Tabs.Tab>
          <Tabs.Tab value="input" data-testid="tab-input">
            Input
          </Tabs.Tab>
          <Tabs.Tab value="output" data-testid="tab-output">
            Output
          </Tabs.Tab>
          <Tabs.Tab value="settings" data-testid="tab-settings">
            Settings
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Overview stream={data} />
        </Tabs.Panel>
        <Tabs.Panel value="input" pt="md">
          <StreamInputs stream={data} />
        </Tabs.Panel>
        <Tabs.Panel value="output" pt="md">
          {/* Mounted only while shown, so the player does not play in the background. */}
          {tab === 'output' && <StreamOutput name={data.name} />}
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <StreamSettings stream={data} />
        </Tabs.Panel>
      </Tabs>
      <ConfirmDelete
        opened={deleting}
        onClose={() => setDeleting(false)}
        onConfirm={remove}
        noun="stream"
        name={data.name}
        loading={busy}
        error={deleteError}
      >
        Viewers lose it at once.
      </ConfirmDelete>
    </Stack>
  );
}
