// Streamers: the fleet table (refreshed every 5 s) and the "+" dialog that registers a new streamer.
import {
  ActionIcon,
  Anchor,
  Group,
  SegmentedControl,
  Stack,
  Table,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { api } from '../api/client';
import { formatKbit, formatPercent, relativeTime } from '../api/format';
import { streamersQuery } from '../api/queries';
import type { Streamer } from '../api/types';
import { FormModal, useApiSubmit } from '../components/forms';
import { useNow } from '../components/hooks';
import { IconPlus } from '../components/Icons';
import { PageLoader, QueryError, StreamerStateBadge } from '../components/Status';
import { EmptyRow, HeaderRow, type Column } from '../components/tables';
import { STREAMER_STATES } from '../router';

const HOSTNAME_RE = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?(:[0-9]{1,5})?$/;

function NewStreamerModal({
  opened,
  onClose,
  existing,
}: {
  opened: boolean;
  onClose: () => void;
  existing: string[];
}) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { hostname: '' },
    validate: {
      hostname: (v) =>
        !v.trim()
          ? 'Enter the streamer hostname'
          : !HOSTNAME_RE.test(v.trim())
            ? 'Letters, digits, ".", "-" and "_", optionally with :port'
            : existing.includes(v.trim())
              ? 'This streamer already exists'
              : null,
    },
  });
  const { submit, formErrors } = useApiSubmit(form, async ({ hostname: raw }) => {
    const hostname = raw.trim();
    await api.put<Streamer>(`/streamers/${encodeURIComponent(hostname)}`, {});
    await queryClient.invalidateQueries({ queryKey: ['streamers'] });
    form.reset();
    onClose();
    await navigate({ to: '/streamers/$hostname', params: { hostname }, search: { tab: 'settings' } });
  });
  return (
    <FormModal
      opened={opened}
      onClose={onClose}
      title="Add streamer"
      onSubmit={submit}
      formErrors={formErrors}
      submitting={form.submitting}
      submitLabel="Save"
      submitTestId="new-streamer-save"
    >
      <TextInput
        label="New streamer hostname"
        description="The name the streamer is known by (its HOSTNAME setting)"
        required
        data-autofocus
        autoComplete="off"
        data-testid="new-streamer-hostname"
        {...form.getInputProps('hostname')}
      />
    </FormModal>
  );
}

// No column sorts: the fleet is filtered in the browser and listed in the API's order.
const COLUMNS: Column[] = [
  { key: 'hostname', label: 'Hostname' },
  { key: 'status', label: 'Status' },
  { key: 'streams', label: 'Streams', align: 'right' },
  { key: 'cpu', label: 'CPU', align: 'right' },
  { key: 'memory', label: 'Memory', align: 'right' },
  { key: 'bandwidth', label: 'Bandwidth', align: 'right' },
  { key: 'version', label: 'Version' },
  { key: 'last_seen', label: 'Last seen' },
];

function StreamerRow({ s, now }: { s: Streamer; now: number }) {
  return (
    <Table.Tr data-testid="streamer-row" data-hostname={s.hostname}>
      <Table.Td>
        <Anchor
          fw={500}
          renderRoot={(props) => (
            <Link to="/streamers/$hostname" params={{ hostname: s.hostname }} {...props} />
          )}
        >
          {s.hostname}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <StreamerStateBadge state={s.status?.state} />
      </Table.Td>
      <Table.Td ta="right">{s.status?.streams ?? 0}</Table.Td>
      <Table.Td ta="right">{formatPercent(s.stats?.cpu_usage)}</Table.Td>
      <Table.Td ta="right">{formatPercent(s.stats?.memory_usage)}</Table.Td>
      <Table.Td ta="right" className="nowrap">
        <Tooltip
          label={`in ${formatKbit(s.stats?.input_kbit)} · out ${formatKbit(s.stats?.output_kbit)}`}
          disabled={!s.stats}
        >
          <span>{formatPercent(s.stats?.bandwidth_usage)}</span>
        </Tooltip>
      </Table.Td>
      <Table.Td>{s.stats?.server_version ?? '—'}</Table.Td>
      <Table.Td className="nowrap">
        <span title={s.status?.last_seen_at ? new Date(s.status.last_seen_at).toLocaleString() : undefined}>
          {relativeTime(s.status?.last_seen_at, now)}
        </span>
      </Table.Td>
    </Table.Tr>
  );
}

export function StreamersPage() {
  const { state, q } = useSearch({ from: '/_app/streamers' });
  const navigate = useNavigate({ from: '/streamers' });
  const [adding, { open, close }] = useDisclosure(false);
  const { data, error, isPending } = useQuery(streamersQuery);
  const now = useNow();
  const all = data?.streamers ?? [];
  const needle = q?.toLowerCase() ?? '';
  const shown = all.filter(
    (s) =>
      (!state || (s.status?.state ?? 'offline') === state) &&
      (!needle || s.hostname.toLowerCase().includes(needle)),
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Streamers</Title>
        <Tooltip label="Add streamer">
          <ActionIcon size="lg" aria-label="Add streamer" onClick={open} data-testid="add-streamer">
            <IconPlus />
          </ActionIcon>
        </Tooltip>
      </Group>
      <Group align="flex-end" gap="sm">
        <TextInput
          label="Search"
          placeholder="Hostname"
          value={q ?? ''}
          onChange={(e) =>
            navigate({ search: (p) => ({ ...p, q: e.currentTarget.value || undefined }), replace: true })
          }
          style={{ flex: '1 1 200px' }}
          type="search"
        />
        <SegmentedControl
          aria-label="Filter by state"
          value={state ?? 'all'}
          onChange={(v) =>
            navigate({
              search: (p) => ({
                ...p,
                state: v === 'all' ? undefined : (v as (typeof STREAMER_STATES)[number]),
              }),
              replace: true,
            })
          }
          data={[{ value: 'all', label: 'All' }, ...STREAMER_STATES.map((s) => ({ value: s, label: s }))]}
        />
      </Group>
      {error && <QueryError error={error} />}
      {isPending ? (
        <PageLoader />
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover verticalSpacing="xs" data-testid="streamers-table">
            <HeaderRow columns={COLUMNS} />
            <Table.Tbody>
              {shown.map((s) => (
                <StreamerRow key={s.hostname} s={s} now={now} />
              ))}
              {!shown.length && (
                <EmptyRow colSpan={COLUMNS.length} ta="center">
                  {all.length ? 'No streamers match' : 'No streamers yet: press + to connect one'}
                </EmptyRow>
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <NewStreamerModal opened={adding} onClose={close} existing={all.map((s) => s.hostname)} />
    </Stack>
  );
}
