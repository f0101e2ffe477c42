// The Settings tab: title, preferred streamer, disabled, labels.
import { Select, Stack, Switch, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { namePath } from '../api/client';
import { streamersQuery, streamQuery } from '../api/queries';
import type { Stream } from '../api/types';
import { FormAlert, SaveBar, useSaveForm } from '../components/forms';
import { labelsPatch, labelsToRows, LabelsEditor, type LabelRow } from '../components/LabelsEditor';

interface Values {
  [k: string]: unknown;
  title: string;
  streamer_hostname: string | null;
  disabled: boolean;
  labels: LabelRow[];
}

const toValues = (s: Stream): Values => ({
  title: s.title ?? '',
  streamer_hostname: s.streamer_hostname ?? null,
  disabled: s.disabled === true,
  labels: labelsToRows(s.labels),
});

export function StreamSettings({ stream }: { stream: Stream }) {
  const streamers = useQuery(streamersQuery);
  const form = useForm<Values>({ initialValues: toValues(stream) });
  const values = form.getValues();

  const hostnames = (streamers.data?.streamers ?? []).map((s) => ({
    value: s.hostname,
    label: `${s.hostname} (${s.status?.state ?? 'offline'})`,
  }));
  if (values.streamer_hostname && !hostnames.some((h) => h.value === values.streamer_hostname))
    hostnames.push({ value: values.streamer_hostname, label: `${values.streamer_hostname} (unknown)` });

  const { submit, formErrors } = useSaveForm(form, {
    path: `/streams/${namePath(stream.name)}`,
    queryKey: streamQuery(stream.name).queryKey,
    body: (v) => ({
      title: v.title.trim() ? v.title : null,
      streamer_hostname: v.streamer_hostname || null,
      disabled: v.disabled,
      labels: labelsPatch(stream.labels, v.labels),
    }),
    onSaved: (saved: Stream) => {
      form.setInitialValues(toValues(saved));
      form.resetDirty(toValues(saved));
    },
    message: 'Settings saved',
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Stream settings">
      <Stack maw={640}>
        <FormAlert messages={formErrors} />
        <TextInput label="Title" data-testid="stream-settings-title" {...form.getInputProps('title')} />
        <Select
          label="Preferred streamer"
          description="The stream runs there while it is online and has room; otherwise on the least loaded one"
          placeholder="Any streamer"
          data={hostnames}
          clearable
          allowDeselect={false}
          searchable
          data-testid="stream-settings-streamer"
          {...form.getInputProps('streamer_hostname')}
        />
        <Switch
          label="Disabled"
          description="A disabled stream runs nowhere"
          data-testid="stream-settings-disabled"
          {...form.getInputProps('disabled', { type: 'checkbox' })}
        />
        <LabelsEditor
          value={values.labels}
          onChange={(rows) => form.setFieldValue('labels', rows)}
          error={form.errors.labels}
          description="A stream runs only on streamers that carry the same values for the label keys they use"
        />
        <SaveBar submitting={form.submitting} dirty={form.isDirty()} testId="stream-settings-save" />
      </Stack>
    </form>
  );
}
