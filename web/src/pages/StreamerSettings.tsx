// A streamer's Settings tab: where Central reaches it, its cluster key, limits and labels; after a save
// it shows whether Central could write config_external into the streamer.
import { Alert, Group, Loader, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { streamerQuery } from '../api/queries';
import type { Streamer } from '../api/types';
import { FormAlert, SaveBar, useSaveForm } from '../components/forms';
import { SecretInput } from '../components/SecretInput';
import { labelsPatch, labelsToRows, LabelsEditor, type LabelRow } from '../components/LabelsEditor';

interface Values {
  [k: string]: unknown;
  api_url: string;
  public_payload_url: string;
  private_payload_url: string;
  cluster_key: string;
  channel_limit: number | string;
  labels: LabelRow[];
}

const toValues = (s: Streamer): Values => ({
  api_url: s.api_url ?? '',
  public_payload_url: s.public_payload_url ?? '',
  private_payload_url: s.private_payload_url ?? '',
  cluster_key: s.cluster_key ?? '',
  channel_limit: s.channel_limit ?? '',
  labels: labelsToRows(s.labels),
});

// The three URLs are edited alike (and sent trimmed, an empty one as null).
const urlFields = (hostname: string) => [
  {
    field: 'api_url',
    label: 'API URL',
    description: "Where Central calls the streamer's API, http://HOST:PORT (default http://<hostname>)",
    placeholder: `http://${hostname}`,
    testId: 'settings-api-url',
  },
  {
    field: 'public_payload_url',
    label: 'Public payload URL',
    description: 'Where viewers on the Internet play streams from this streamer',
    placeholder: 'http://cdn1.example.com',
    testId: 'settings-public-url',
  },
  {
    field: 'private_payload_url',
    label: 'Private payload URL',
    description: 'Where viewers inside your network play streams',
    testId: 'settings-private-url',
  },
];

const orNull = (v: string) => (v.trim() ? v.trim() : null);

export function ProvisioningStatus({ streamer }: { streamer: Streamer }) {
  const p = streamer.status?.provisioning;
  const testId = 'provisioning-status';
  switch (p?.status) {
    case 'ok':
      return (
        <Alert color="green" title="Connected: config_external written" data-testid={testId} data-status="ok">
          {p.config_external && (
            <Text size="sm" className="mono">
              {p.config_external}
            </Text>
          )}
        </Alert>
      );
    case 'error':
      return (
        <Alert
          color="red"
          title="Could not write config_external"
          data-testid={testId}
          data-status="error"
          role="alert"
        >
          <Text size="sm">{p.error ?? 'unknown error'}</Text>
          <Text size="xs" c="dimmed" mt={4}>
            Central keeps retrying{p.attempts ? ` (attempt ${p.attempts})` : ''}. Check the API URL and that
            the streamer has the same cluster key.
          </Text>
        </Alert>
      );
    case 'disabled':
      return (
        <Alert color="gray" title="Provisioning is off" data-testid={testId} data-status="disabled">
          Central does not write config_external (CLUSTER_NODE_CONFIG_PROVISION_ENABLED=false); configure the
          streamer&apos;s config_external yourself.
        </Alert>
      );
    case 'not_configured':
      return (
        <Alert color="gray" title="API_URL is not set" data-testid={testId} data-status="not_configured">
          Central cannot tell the streamer where to pull its streams from: set API_URL in
          /etc/central/central.conf and restart Central.
        </Alert>
      );
    default:
      return (
        <Alert color="blue" data-testid={testId} data-status="pending">
          <Group gap="xs">
            <Loader size="xs" />
            <Text size="sm">Connecting…</Text>
          </Group>
        </Alert>
      );
  }
}

export function StreamerSettings({ streamer }: { streamer: Streamer }) {
  const form = useForm<Values>({
    initialValues: toValues(streamer),
    validate: {
      channel_limit: (v) => (v === '' || (typeof v === 'number' && v >= 0) ? null : 'A number ≥ 0'),
    },
  });
  const { submit, formErrors } = useSaveForm(form, {
    path: `/streamers/${encodeURIComponent(streamer.hostname)}`,
    queryKey: streamerQuery(streamer.hostname).queryKey,
    body: (v) => ({
      api_url: orNull(v.api_url),
      public_payload_url: orNull(v.public_payload_url),
      private_payload_url: orNull(v.private_payload_url),
      cluster_key: v.cluster_key === '' ? null : v.cluster_key,
      channel_limit: v.channel_limit === '' ? null : Number(v.channel_limit),
      labels: labelsPatch(streamer.labels, v.labels),
    }),
    // The form shows what was stored (URLs trimmed), not what was typed.
    onSaved: (saved: Streamer) => {
      form.setInitialValues(toValues(saved));
      form.setValues(toValues(saved));
      form.resetDirty(toValues(saved));
    },
    message: `Streamer ${streamer.hostname} saved`,
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Streamer settings">
      <Stack maw={640}>
        <FormAlert messages={formErrors} />
        {urlFields(streamer.hostname).map(({ field, testId, ...props }) => (
          <TextInput key={field} data-testid={testId} {...props} {...form.getInputProps(field)} />
        ))}
        <SecretInput
          label="Cluster key"
          description="The same key as in the streamer's configuration"
          autoComplete="off"
          data-testid="settings-cluster-key"
          {...form.getInputProps('cluster_key')}
        />
        <NumberInput
          label="Channel limit"
          description="At most this many streams on this streamer (default 6000)"
          min={0}
          allowDecimal={false}
          data-testid="settings-channel-limit"
          {...form.getInputProps('channel_limit')}
        />
        <LabelsEditor
          value={form.getValues().labels}
          onChange={(rows) => form.setFieldValue('labels', rows)}
          error={form.errors.labels}
          description="Streams with labels run only on streamers with the same values"
        />
        <SaveBar submitting={form.submitting} dirty={form.isDirty()} testId="settings-save" />
        <ProvisioningStatus streamer={streamer} />
      </Stack>
    </form>
  );
}
