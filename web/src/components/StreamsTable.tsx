// The paged stream table shared by Media → Streams and a streamer's overview. Paging, sorting and
// filtering are all server-side: one page (≤ 50 rows) is fetched and rendered at a time.
import { Anchor, Button, Group, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { formatCount, formatDuration, formatKbit } from '../api/format';
import { streamsQuery, type StreamListParams } from '../api/queries';
import { QueryError, StreamStatusBadge } from './Status';
import { EmptyRow, HeaderRow, type Column } from './tables';

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name', sort: 'name' },
  { key: 'status', label: 'Status', sort: 'stats.status' },
  { key: 'streamer', label: 'Streamer', sort: 'layout.ingest' },
  { key: 'bitrate', label: 'Bitrate', sort: 'stats.bitrate', descFirst: true, align: 'right' },
  { key: 'uptime', label: 'Uptime', sort: 'stats.lifetime', descFirst: true, align: 'right' },
];

// The cursors the list answer carries, one button each.
const PAGES = [
  { key: 'prev', label: 'Previous' },
  { key: 'next', label: 'Next' },
] as const;

interface Props {
  params: StreamListParams;
  onSort?: (sort: string) => void;
  onCursor: (cursor: string | undefined) => void;
  /** Hide the streamer column (a streamer's own page). */
  hideStreamer?: boolean;
  empty?: React.ReactNode;
}

export function StreamsTable({ params, onSort, onCursor, hideStreamer, empty }: Props) {
  const { data, error, isPending, isFetching, isPlaceholderData } = useQuery(streamsQuery(params));
  const cols = COLUMNS.filter((c) => !(hideStreamer && c.key === 'streamer'));
  const rows = data?.streams ?? [];
  return (
    <div>
      {error && <QueryError error={error} />}
      <Table.ScrollContainer minWidth={640}>
        <Table
          striped
          highlightOnHover
          verticalSpacing="xs"
          data-testid="streams-table"
          aria-busy={isFetching}
          style={{ opacity: isPlaceholderData ? 0.6 : 1 }}
        >
          <HeaderRow columns={cols} sort={params.sort} defaultSort="name" onSort={onSort} />
          <Table.Tbody>
            {rows.map((s) => (
              <Table.Tr key={s.name} data-testid="stream-row" data-name={s.name}>
                <Table.Td>
                  <Anchor
                    renderRoot={(props) => (
                      <Link to="/media/streams/$" params={{ _splat: s.name }} {...props} />
                    )}
                    fw={500}
                  >
                    {s.name}
                  </Anchor>
                  {s.title && (
                    <Text size="xs" c="dimmed" lineClamp={1}>
                      {s.title}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <StreamStatusBadge stream={s} />
                </Table.Td>
                {!hideStreamer && (
                  <Table.Td>
                    {s.layout?.ingest ? (
                      <Anchor
                        size="sm"
                        renderRoot={(props) => (
                          <Link
                            to="/streamers/$hostname"
                            params={{ hostname: s.layout!.ingest! }}
                            {...props}
                          />
                        )}
                      >
                        {s.layout.ingest}
                      </Anchor>
                    ) : (
                      <Text size="sm" c="dimmed">
                        not placed
                      </Text>
                    )}
                  </Table.Td>
                )}
                <Table.Td ta="right" className="nowrap">
                  {s.stats?.bitrate != null ? formatKbit(s.stats.bitrate) : '—'}
                </Table.Td>
                <Table.Td ta="right" className="nowrap">
                  {s.stats?.status === 'running' ? formatDuration(s.stats.lifetime) : '—'}
                </Table.Td>
              </Table.Tr>
            ))}
            {!isPending && !rows.length && !error && (
              <EmptyRow colSpan={cols.length}>{empty ?? 'No streams match'}</EmptyRow>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="space-between" mt="sm">
        <Text size="sm" c="dimmed" data-testid="streams-count">
          {data ? `${formatCount(data.estimated_count ?? rows.length)} streams` : isPending ? 'Loading…' : ''}
        </Text>
        <Group gap="xs">
          {PAGES.map(({ key, label }) => (
            <Button
              key={key}
              variant="default"
              size="xs"
              disabled={!data?.[key]}
              onClick={() => onCursor(data?.[key])}
              data-testid={`page-${key}`}
            >
              {label}
            </Button>
          ))}
        </Group>
      </Group>
    </div>
  );
}
