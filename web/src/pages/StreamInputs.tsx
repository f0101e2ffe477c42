// The Input tab: the stream's sources in order, with priorities; add, remove, reorder, Save.
// Inputs are saved as a whole array (a merge patch replaces arrays), keeping each input's other fields.
import { ActionIcon, Button, Group, NumberInput, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { namePath } from '../api/client';
import { streamQuery } from '../api/queries';
import type { Stream, StreamInput } from '../api/types';
import { FormAlert, SaveBar, useSaveForm } from '../components/forms';
import { IconDown, IconPlus, IconUp, IconX } from '../components/Icons';

interface Row {
  [k: string]: unknown;
  key: string;
  url: string;
  priority: number | string;
  rest: Record<string, unknown>;
}

let seq = 0;
const toRows = (inputs: StreamInput[] | null | undefined): Row[] =>
  (inputs ?? []).map(({ url, priority, ...rest }) => ({
    key: `i${seq++}`,
    url,
    priority: priority ?? '',
    rest,
  }));

const toInputs = (rows: Row[]): StreamInput[] =>
  rows.map((r) => {
    const out: StreamInput = { ...r.rest, url: r.url.trim() };
    if (r.priority !== '' && r.priority != null) out.priority = Number(r.priority);
    return out;
  });

export function StreamInputs({ stream }: { stream: Stream }) {
  const form = useForm<{ inputs: Row[] }>({
    initialValues: { inputs: toRows(stream.inputs) },
    validate: { inputs: { url: (v) => (v.trim() ? null : 'Enter the source URL') } },
  });
  const rows = form.getValues().inputs;

  const { submit, formErrors } = useSaveForm(form, {
    path: `/streams/${namePath(stream.name)}`,
    queryKey: streamQuery(stream.name).queryKey,
    body: (v) => ({ inputs: toInputs(v.inputs) }),
    // The rows keep their keys (and the inputs' other fields): only the dirty mark is cleared.
    onSaved: () => form.resetDirty(),
    message: 'Inputs saved',
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Stream inputs">
      <Stack maw={760}>
        <FormAlert messages={formErrors} />
        <Text size="sm" c="dimmed">
          Sources are tried in this order (a lower priority number first when set); when one fails the next
          takes over.
        </Text>
        {form.errors.inputs && (
          <Text c="red" size="sm">
            {form.errors.inputs}
          </Text>
        )}
        {rows.map((r, i) => (
          <Paper key={r.key} withBorder p="sm" data-testid="input-row">
            <Group align="flex-start" gap="xs" wrap="wrap">
              <TextInput
                label={`Source URL ${i + 1}`}
                placeholder="rtsp://camera/stream"
                style={{ flex: '1 1 260px' }}
                data-testid={`input-url-${i}`}
                {...form.getInputProps(`inputs.${i}.url`)}
              />
              <NumberInput
                label="Priority"
                w={100}
                allowDecimal={false}
                data-testid={`input-priority-${i}`}
                {...form.getInputProps(`inputs.${i}.priority`)}
              />
              <Group gap={4} mt={24} wrap="nowrap">
                <ActionIcon
                  variant="default"
                  size="lg"
                  aria-label={`Move source ${i + 1} up`}
                  disabled={i === 0}
                  onClick={() => form.reorderListItem('inputs', { from: i, to: i - 1 })}
                >
                  <IconUp size={16} />
                </ActionIcon>
                <ActionIcon
                  variant="default"
                  size="lg"
                  aria-label={`Move source ${i + 1} down`}
                  disabled={i === rows.length - 1}
                  onClick={() => form.reorderListItem('inputs', { from: i, to: i + 1 })}
                >
                  <IconDown size={16} />
                </ActionIcon>
                <ActionIcon
                  variant="light"
                  color="red"
                  size="lg"
                  aria-label={`Remove source ${i + 1}`}
                  onClick={() => form.removeListItem('inputs', i)}
                >
                  <IconX size={16} />
                </ActionIcon>
              </Group>
            </Group>
          </Paper>
        ))}
        {!rows.length && (
          <Text c="dimmed" size="sm">
            No sources: the stream cannot run until you add one.
          </Text>
        )}
        <SaveBar submitting={form.submitting} dirty={form.isDirty()} testId="inputs-save">
          <Button
            variant="light"
            leftSection={<IconPlus size={16} />}
            onClick={() =>
              form.insertListItem('inputs', { key: `i${seq++}`, url: '', priority: '', rest: {} })
            }
            data-testid="add-input"
          >
            Add source
          </Button>
        </SaveBar>
      </Stack>
    </form>
  );
}
