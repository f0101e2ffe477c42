// Key/value editor for `labels`. Rows are an array while editing (keys can be typed freely); the
// saved object is a JSON merge patch, so removed keys are sent as null.
import { ActionIcon, Button, Group, Input, Stack, Text, TextInput } from '@mantine/core';
import type { Labels } from '../api/types';
import { IconPlus, IconX } from './Icons';

export interface LabelRow {
  key: string;
  value: string;
}

export const labelsToRows = (l: Labels | null | undefined): LabelRow[] =>
  Object.entries(l ?? {}).map(([key, value]) => ({ key, value: String(value) }));

/** The merge patch turning `before` into the rows: changed keys set, missing keys null. */
export function labelsPatch(
  before: Labels | null | undefined,
  rows: LabelRow[],
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(before ?? {})) out[k] = null;
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value;
  return out;
}

interface Props {
  value: LabelRow[];
  onChange: (rows: LabelRow[]) => void;
  error?: React.ReactNode;
  description?: string;
}

export function LabelsEditor({ value, onChange, error, description }: Props) {
  const set = (i: number, patch: Partial<LabelRow>) =>
    onChange(value.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Input.Wrapper label="Labels" description={description} error={error} data-testid="labels-editor">
      <Stack gap="xs" mt={4}>
        {value.length === 0 && (
          <Text size="sm" c="dimmed">
            No labels
          </Text>
        )}
        {value.map((r, i) => (
          <Group key={i} gap="xs" wrap="nowrap" align="flex-start">
            <TextInput
              aria-label={`Label ${i + 1} key`}
              placeholder="key"
              value={r.key}
              onChange={(e) => set(i, { key: e.currentTarget.value })}
              style={{ flex: 1 }}
            />
            <TextInput
              aria-label={`Label ${i + 1} value`}
              placeholder="value"
              value={r.value}
              onChange={(e) => set(i, { value: e.currentTarget.value })}
              style={{ flex: 1 }}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              size="lg"
              aria-label={`Remove label ${r.key || i + 1}`}
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            >
              <IconX />
            </ActionIcon>
          </Group>
        ))}
        <Group>
          <Button
            variant="light"
            size="xs"
            leftSection={<IconPlus size={14} />}
            onClick={() => onChange([...value, { key: '', value: '' }])}
          >
            Add label
          </Button>
        </Group>
      </Stack>
    </Input.Wrapper>
  );
}
