// Fleet at a glance: streamer states, stream states and total bitrate, each linking to the filtered list.
import { Anchor, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, type LinkProps } from '@tanstack/react-router';
import { formatCount, formatKbit } from '../api/format';
import { clusterQuery } from '../api/queries';
import { PageLoader, QueryError } from '../components/Status';

interface StatProps {
  label: string;
  value: string;
  color?: string;
  link?: LinkProps;
  testId: string;
  hint?: string;
}

function Stat({ label, value, color, link, testId, hint }: StatProps) {
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

export function DashboardPage() {
  const { data, error, isPending } = useQuery(clusterQuery);
  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;
  const sr = data.streamer_metrics_total;
  const st = data.stream_metrics_total;
  const online = (sr.operational ?? 0) + (sr.degradated ?? 0);
  const bitrate = data.streamer_bitrate_metrics_total;
  return (
    <Stack>
      <Title order={2}>Dashboard</Title>
      <section aria-labelledby="dash-streamers">
        <Title order={3} size="h4" id="dash-streamers" mb="xs">
          Streamers ({formatCount(sr.total)})
        </Title>
        <SimpleGrid cols={{ base: 1, xs: 3 }}>
          <Stat
            label="Online"
            value={formatCount(online)}
            color="green"
            testId="stat-streamers-online"
            link={{ to: '/streamers', search: { state: 'online' } }}
            hint={sr.degradated ? `${sr.degradated} with failing checks` : undefined}
          />
          <Stat
            label="Suspect"
            value={formatCount(sr.partial_outage)}
            color={sr.partial_outage ? 'orange' : undefined}
            testId="stat-streamers-suspect"
            link={{ to: '/streamers', search: { state: 'suspect' } }}
          />
          <Stat
            label="Offline"
            value={formatCount(sr.outage)}
            color={sr.outage ? 'red' : undefined}
            testId="stat-streamers-offline"
            link={{ to: '/streamers', search: { state: 'offline' } }}
          />
        </SimpleGrid>
      </section>
      <section aria-labelledby="dash-streams">
        <Title order={3} size="h4" id="dash-streams" mb="xs">
          Streams ({formatCount(st.total)})
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Stat
            label="Running"
            value={formatCount(st.operational)}
            color="green"
            testId="stat-streams-running"
            link={{ to: '/media/streams', search: { status: 'running' } }}
          />
          <Stat
            label="Waiting"
            value={formatCount(st.partial_outage)}
            color={st.partial_outage ? 'yellow.7' : undefined}
            testId="stat-streams-waiting"
            link={{ to: '/media/streams', search: { status: 'waiting' } }}
          />
          <Stat
            label="Error"
            value={formatCount(st.outage)}
            color={st.outage ? 'red' : undefined}
            testId="stat-streams-error"
            link={{ to: '/media/streams', search: { status: 'error' } }}
          />
          <Stat
            label="Disabled"
            value={formatCount(st.disabled)}
            testId="stat-streams-disabled"
            link={{ to: '/media/streams', search: { status: 'disabled' } }}
          />
        </SimpleGrid>
      </section>
      <section aria-labelledby="dash-bitrate">
        <Title order={3} size="h4" id="dash-bitrate" mb="xs">
          Traffic
        </Title>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Stat label="Total input" value={formatKbit(bitrate.input_kbit)} testId="stat-input" />
          <Stat label="Total output" value={formatKbit(bitrate.output_kbit)} testId="stat-output" />
        </SimpleGrid>
      </section>
    </Stack>
  );
}
