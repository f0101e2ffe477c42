// The stream profile: Overview, Input, Output (URLs and a player) and Settings tabs; Delete.
import { Alert, Anchor, Card, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { namePath } from '../api/client';
import { formatDuration, formatKbit, formatTime, relativeTime } from '../api/format';
import { layoutsQuery, streamQuery } from '../api/queries';
import type { Stream } from '../api/types';
import { ConfirmDelete, useDelete } from '../components/ConfirmDelete';
import { useNow } from '../components/hooks';
import { FactList, ProfileHeader, ProfileTabs } from '../components/Profile';
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
          <FactList rows={rows} />
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
  const del = useDelete({
    path: `/streams/${namePath(name)}`,
    queryKey: streamQuery(name).queryKey,
    leave: () => navigate({ to: '/media/streams', search: {} }),
  });
  const { data, error, isPending } = useQuery(streamQuery(name));

  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;

  return (
    <Stack>
      <ProfileHeader
        parent={{ label: 'Streams', link: { to: '/media/streams', search: {} } }}
        title={data.name}
        titleTestId="stream-title"
        badge={<StreamStatusBadge stream={data} size="lg" data-testid="stream-status" />}
        onDelete={del.open}
        deleteTestId="delete-stream"
      />
      {data.title && <Text c="dimmed">{data.title}</Text>}
      <ProfileTabs<(typeof STREAM_TABS)[number]>
        value={tab}
        onChange={(t) => navigate({ search: { tab: t === 'overview' ? undefined : t }, replace: true })}
        tabs={[
          { value: 'overview', label: 'Overview', panel: <Overview stream={data} /> },
          { value: 'input', label: 'Input', panel: <StreamInputs stream={data} /> },
          {
            value: 'output',
            label: 'Output',
            // Mounted only while shown, so the player does not play in the background.
            panel: tab === 'output' && <StreamOutput name={data.name} />,
          },
          { value: 'settings', label: 'Settings', panel: <StreamSettings stream={data} /> },
        ]}
      />
      <ConfirmDelete {...del.dialog} noun="stream" name={data.name}>
        Viewers lose it at once.
      </ConfirmDelete>
    </Stack>
  );
}
