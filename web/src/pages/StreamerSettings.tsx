// A streamer's Settings tab: where Central reaches it, its cluster key, limits and labels; after a save
// it shows whether Central could write config_external into the streamer.
import {
  Alert,
  Button,
  Group,
  Loader,
  NumberInput,
  PasswordInput,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import type { Streamer } from '../api/types';
import { applyApiError, FormAlert } from '../components/forms';
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
  const queryClient = useQueryClient();
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const form = useForm<Values>({
    initialValues: toValues(streamer),
    validate: {
      channel_limit: (v) => (v === '' || (typeof v === 'number' && v >= 0) ? null : 'A number ≥ 0'),
    },
  });
  const submit = form.onSubmit(async (v) => {
    setFormErrors([]);
    const patch = {
      api_url: orNull(v.api_url),
      public_payload_url: orNull(v.public_payload_url),
      private_payload_url: orNull(v.private_payload_url),
      cluster_key: v.cluster_key === '' ? null : v.cluster_key,
      channel_limit: v.channel_limit === '' ? null : Number(v.channel_limit),
      labels: labelsPatch(streamer.labels, v.labels),
    };
    try {
      const saved = await api.put<Streamer>(`/streamers/${encodeURIComponent(streamer.hostname)}`, patch);
      queryClient.setQueryData(['streamers', 'one', streamer.hostname], saved);
      await queryClient.invalidateQueries({ queryKey: ['streamers'] });
      form.setInitialValues(toValues(saved));
      form.setValues(toValues(saved));
      form.resetDirty(toValues(saved));
      notifications.show({ color: 'green', message: `Streamer ${streamer.hostname} saved` });
    } catch (e) {
      setFormErrors(applyApiError(form, e));
    }
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Streamer settings">
      <Stack maw={640}>
        <FormAlert messages={formErrors} />
        <TextInput
          label="API URL"
          description="Where Central calls the streamer's API, http://HOST:PORT (default http://<hostname>)"
          placeholder={`http://${streamer.hostname}`}
          data-testid="settings-api-url"
          {...form.getInputProps('api_url')}
        />
        <TextInput
          label="Public payload URL"
          description="Where viewers on the Internet play streams from this streamer"
          placeholder="http://cdn1.example.com"
          data-testid="settings-public-url"
          {...form.getInputProps('public_payload_url')}
        />
        <TextInput
          label="Private payload URL"
          description="Where viewers inside your network play streams"
          data-testid="settings-private-url"
          {...form.getInputProps('private_payload_url')}
        />
        <PasswordInput
          label="Cluster key"
          description="The same key as in the streamer's configuration"
          autoComplete="off"
          data-testid="settings-cluster-key"
          visibilityToggleFocusable
          visibilityToggleButtonProps={{ 'aria-label': 'Show characters' }}
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
        <Group>
          <Button type="submit" loading={form.submitting} data-testid="settings-save">
            Save
          </Button>
          {form.isDirty() && (
            <Text size="sm" c="dimmed">
              Unsaved changes
            </Text>
          )}
        </Group>
        <ProvisioningStatus streamer={streamer} />
      </Stack>
    </form>
  );
}
