// Streamers: the fleet table (refreshed every 5 s) and the "+" dialog that registers a new streamer.
import {
  ActionIcon,
  Anchor,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../api/client';
import { formatKbit, formatPercent, relativeTime } from '../api/format';
import { streamersQuery } from '../api/queries';
import type { Streamer } from '../api/types';
import { applyApiError, FormAlert } from '../components/forms';
import { useNow } from '../components/hooks';
import { IconPlus } from '../components/Icons';
import { PageLoader, QueryError, StreamerStateBadge } from '../components/Status';
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
  const [formErrors, setFormErrors] = useState<string[]>([]);
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
  const submit = form.onSubmit(async ({ hostname: raw }) => {
    setFormErrors([]);
    const hostname = raw.trim();
    try {
      await api.put<Streamer>(`/streamers/${encodeURIComponent(hostname)}`, {});
      await queryClient.invalidateQueries({ queryKey: ['streamers'] });
      form.reset();
      onClose();
      await navigate({ to: '/streamers/$hostname', params: { hostname }, search: { tab: 'settings' } });
    } catch (e) {
      setFormErrors(applyApiError(form, e));
    }
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Add streamer" centered>
      <form onSubmit={submit} noValidate>
        <Stack>
          <FormAlert messages={formErrors} />
          <TextInput
            label="New streamer hostname"
            description="The name the streamer is known by (its HOSTNAME setting)"
            required
            data-autofocus
            autoComplete="off"
            data-testid="new-streamer-hostname"
            {...form.getInputProps('hostname')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={form.submitting} data-testid="new-streamer-save">
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

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
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Hostname</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Streams</Table.Th>
                <Table.Th ta="right">CPU</Table.Th>
                <Table.Th ta="right">Memory</Table.Th>
                <Table.Th ta="right">Bandwidth</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((s) => (
                <StreamerRow key={s.hostname} s={s} now={now} />
              ))}
              {!shown.length && (
                <Table.Tr>
                  <Table.Td colSpan={8}>
                    <Text c="dimmed" ta="center" py="md">
                      {all.length ? 'No streamers match' : 'No streamers yet: press + to connect one'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <NewStreamerModal opened={adding} onClose={close} existing={all.map((s) => s.hostname)} />
    </Stack>
  );
}
