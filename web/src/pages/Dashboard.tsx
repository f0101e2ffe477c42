// Fleet at a glance: streamer states, stream states and total bitrate, each linking to the filtered list.
import { Anchor, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, type LinkProps } from '@tanstack/react-router';
import { formatCount, formatKbit } from '../api/format';
import { clusterQuery } from '../api/queries';
import { PageLoader, QueryError } from '../components/Status';
import { STREAM_STATUSES, STREAMER_STATES } from '../router';

interface StatProps {
  label: string;
  value: string;
  color?: string;
  link?: LinkProps;
  testId: string;
  hint?: string;
}

function StatCard({ label, value, color, link, testId, hint }: StatProps) {
  return (
    <Card withBorder padding="md" data-testid={testId}>
      {link ? (
        // The label is the link (to the filtered list); the section heading gives it context.
        <Anchor size="sm" renderRoot={(props) => <Link {...link} {...props} />}>
          {label}
        </Anchor>
      ) : (
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      )}
      <Text fw={700} fz={28} c={color}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

/** A titled group of stat cards; the title names the section for screen readers. */
function StatSection({
  id,
  title,
  cols,
  stats,
}: {
  id: string;
  title: string;
  cols: Record<string, number>;
  stats: StatProps[];
}) {
  return (
    <section aria-labelledby={id}>
      <Title order={3} size="h4" id={id} mb="xs">
        {title}
      </Title>
      <SimpleGrid cols={cols}>
        {stats.map((s) => (
          <StatCard key={s.testId} {...s} />
        ))}
      </SimpleGrid>
    </section>
  );
}

/** Coloured only when non-zero, so a healthy fleet does not look alarming. */
const alarm = (n: number | undefined, color: string) => (n ? color : undefined);

export function DashboardPage() {
  const { data, error, isPending } = useQuery(clusterQuery);
  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;
  const sr = data.streamer_metrics_total;
  const st = data.stream_metrics_total;
  const online = (sr.operational ?? 0) + (sr.degradated ?? 0);
  const bitrate = data.streamer_bitrate_metrics_total;
  const streamers = (state: (typeof STREAMER_STATES)[number]): LinkProps => ({
    to: '/streamers',
    search: { state },
  });
  const streams = (status: (typeof STREAM_STATUSES)[number]): LinkProps => ({
    to: '/media/streams',
    search: { status },
  });
  return (
    <Stack>
      <Title order={2}>Dashboard</Title>
      <StatSection
        id="dash-streamers"
        title={`Streamers (${formatCount(sr.total)})`}
        cols={{ base: 1, xs: 3 }}
        stats={[
          {
            label: 'Online',
            value: formatCount(online),
            color: 'green',
            testId: 'stat-streamers-online',
            link: streamers('online'),
            hint: sr.degradated ? `${sr.degradated} with failing checks` : undefined,
          },
          {
            label: 'Suspect',
            value: formatCount(sr.partial_outage),
            color: alarm(sr.partial_outage, 'orange'),
            testId: 'stat-streamers-suspect',
            link: streamers('suspect'),
          },
          {
            label: 'Offline',
            value: formatCount(sr.outage),
            color: alarm(sr.outage, 'red'),
            testId: 'stat-streamers-offline',
            link: streamers('offline'),
          },
        ]}
      />
      <StatSection
        id="dash-streams"
        title={`Streams (${formatCount(st.total)})`}
        cols={{ base: 2, sm: 4 }}
        stats={[
          {
            label: 'Running',
            value: formatCount(st.operational),
            color: 'green',
            testId: 'stat-streams-running',
            link: streams('running'),
          },
          {
            label: 'Waiting',
            value: formatCount(st.partial_outage),
            color: alarm(st.partial_outage, 'yellow.7'),
            testId: 'stat-streams-waiting',
            link: streams('waiting'),
          },
          {
            label: 'Error',
            value: formatCount(st.outage),
            color: alarm(st.outage, 'red'),
            testId: 'stat-streams-error',
            link: streams('error'),
          },
          {
            label: 'Disabled',
            value: formatCount(st.disabled),
            testId: 'stat-streams-disabled',
            link: streams('disabled'),
          },
        ]}
      />
      <StatSection
        id="dash-bitrate"
        title="Traffic"
        cols={{ base: 1, xs: 2 }}
        stats={[
          { label: 'Total input', value: formatKbit(bitrate.input_kbit), testId: 'stat-input' },
          { label: 'Total output', value: formatKbit(bitrate.output_kbit), testId: 'stat-output' },
        ]}
      />
    </Stack>
  );
}
