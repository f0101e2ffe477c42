// Media → Streams: search, status and streamer filters, server-side sort and cursor paging; the list
// state lives in the URL so reloads, links and the back button keep it.
import { Button, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { api, ApiError, namePath } from '../api/client';
import { streamersQuery } from '../api/queries';
import type { Stream } from '../api/types';
import { FormModal, useApiSubmit } from '../components/forms';
import { IconPlus, IconSearch } from '../components/Icons';
import { StreamsTable } from '../components/StreamsTable';
import { STREAM_STATUSES, type StreamsSearch } from '../router';

const STATUS_OPTIONS = [
  { value: '', label: 'All' },
  ...STREAM_STATUSES.map((s) => ({ value: s, label: s[0]!.toUpperCase() + s.slice(1) })),
];

function AddStreamModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { name: '', url: '' },
    validate: {
      name: (v) =>
        !v.trim()
          ? 'Enter a stream name'
          : /^\/|\/\/|\/$/.test(v.trim())
            ? 'A name may contain "/" but not at the start or end, nor twice in a row'
            : null,
      url: (v) => (v.trim() ? null : 'Enter the source URL, e.g. fake://fake or rtsp://camera/stream'),
    },
  });
  const { submit, formErrors } = useApiSubmit(
    form,
    async ({ name: rawName, url }) => {
      const name = rawName.trim();
      // PUT creates or merges: refuse to overwrite the inputs of a stream that already exists.
      const exists = await api.get<Stream>(`/streams/${namePath(name)}`).then(
        () => true,
        (e) => {
          if (e instanceof ApiError && e.status === 404) return false;
          throw e;
        },
      );
      if (exists) {
        form.setFieldError('name', `A stream named ${name} already exists`);
        return;
      }
      await api.put<Stream>(`/streams/${namePath(name)}`, { name, inputs: [{ url: url.trim() }] });
      await queryClient.invalidateQueries({ queryKey: ['streams'] });
      form.reset();
      onClose();
      await navigate({ to: '/media/streams/$', params: { _splat: name } });
    },
    // The form has one source URL field for the API's inputs array.
    { 'inputs.0.url': 'url', inputs: 'url' },
  );
  return (
    <FormModal
      opened={opened}
      onClose={onClose}
      title="Add stream"
      onSubmit={submit}
      formErrors={formErrors}
      errorTitle="Not created"
      submitting={form.submitting}
      submitLabel="Create"
      submitTestId="new-stream-create"
    >
      <TextInput
        label="Stream name"
        description='Letters, digits, "-", "_"; "/" groups streams (live/cam1)'
        required
        data-autofocus
        data-testid="new-stream-name"
        autoComplete="off"
        {...form.getInputProps('name')}
      />
      <TextInput
        label="Source URL"
        placeholder="fake://fake"
        required
        data-testid="new-stream-url"
        autoComplete="off"
        {...form.getInputProps('url')}
      />
    </FormModal>
  );
}

export function StreamsPage() {
  const search = useSearch({ from: '/_app/media/streams/' });
  const navigate = useNavigate({ from: '/media/streams/' });
  const [adding, { open, close }] = useDisclosure(false);
  const [q, setQ] = useState(search.q ?? '');
  const [debounced] = useDebouncedValue(q, 300);
  const streamers = useQuery(streamersQuery);

  const update = (patch: Partial<StreamsSearch>) =>
    navigate({ search: (prev) => ({ ...prev, cursor: undefined, ...patch }), replace: true });

  useEffect(() => {
    if ((debounced || undefined) !== search.q) void update({ q: debounced || undefined });
    // Only the debounced text drives the URL; the URL drives everything else.
  }, [debounced]);
  // The URL changed from elsewhere (a link, back button): show its query in the box.
  useEffect(() => {
    if ((search.q ?? '') !== debounced) setQ(search.q ?? '');
  }, [search.q]);

  const hostnames = (streamers.data?.streamers ?? []).map((s) => s.hostname);
  if (search.streamer && !hostnames.includes(search.streamer)) hostnames.push(search.streamer);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Streams</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={open} data-testid="add-stream">
          Add stream
        </Button>
      </Group>
      <Group align="flex-end" gap="sm">
        <TextInput
          label="Search"
          placeholder="Name, title or source URL"
          leftSection={<IconSearch size={16} />}
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          data-testid="streams-search"
          style={{ flex: '1 1 220px' }}
          type="search"
        />
        <Select
          label="Status"
          data={STATUS_OPTIONS}
          value={search.status ?? ''}
          onChange={(v) => update({ status: (v || undefined) as StreamsSearch['status'] })}
          allowDeselect={false}
          data-testid="streams-status"
          w={150}
        />
        <Select
          label="Streamer"
          placeholder="Any streamer"
          data={hostnames}
          value={search.streamer ?? null}
          onChange={(v) => update({ streamer: v ?? undefined })}
          clearable
          searchable
          data-testid="streams-streamer"
          w={200}
        />
      </Group>
      <StreamsTable
        params={{
          q: search.q,
          status: search.status,
          streamer: search.streamer,
          sort: search.sort,
          cursor: search.cursor,
        }}
        onSort={(sort) => update({ sort: sort === 'name' ? undefined : sort })}
        onCursor={(cursor) => navigate({ search: (prev) => ({ ...prev, cursor }) })}
        empty={search.q || search.status || search.streamer ? 'No streams match' : 'No streams yet: add one'}
      />
      <AddStreamModal opened={adding} onClose={close} />
    </Stack>
  );
}
