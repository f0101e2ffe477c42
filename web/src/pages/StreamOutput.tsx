// The Output tab: every URL viewers can play the stream at (from /playback), each with a copy button,
// and a player for the HLS URL.
import {
  ActionIcon,
  Alert,
  Anchor,
  Card,
  Group,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
  CopyButton,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { playbackQuery } from '../api/queries';
import type { PlaybackKey } from '../api/types';
import { IconCheck, IconCopy, IconExternal } from '../components/Icons';
import { Player } from '../components/Player';
import { PageLoader, QueryError } from '../components/Status';

const LABELS: [PlaybackKey, string][] = [
  ['hls', 'HLS'],
  ['ll_hls', 'LL-HLS'],
  ['dash', 'DASH'],
  ['mpegts', 'MPEG-TS over HTTP'],
  ['rtmp', 'RTMP'],
  ['rtsp', 'RTSP'],
  ['srt', 'SRT'],
  ['webrtc', 'WebRTC (WHEP)'],
  ['embed', 'Embed player'],
  ['preview', 'Preview image'],
];

function CopyUrl({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : `Copy ${label} URL`} withArrow>
          <ActionIcon
            variant="subtle"
            color={copied ? 'teal' : 'gray'}
            onClick={copy}
            aria-label={copied ? `${label} URL copied` : `Copy ${label} URL`}
          >
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

export function StreamOutput({ name }: { name: string }) {
  const { data, error, isPending } = useQuery(playbackQuery(name));
  if (isPending) return <PageLoader />;
  if (error) return <QueryError error={error} />;
  const urls = LABELS.filter(([k]) => data.urls[k]);
  if (!urls.length)
    return (
      <Alert color="yellow" title="No playback URLs yet" data-testid="no-playback">
        The stream is not placed on any streamer (or it is disabled). URLs appear here as soon as a streamer
        takes it.
      </Alert>
    );
  return (
    <Stack>
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Title order={3} size="h5">
            Playback URLs
          </Title>
          {data.ingest && (
            <Text size="sm" c="dimmed">
              on {data.ingest}
            </Text>
          )}
        </Group>
        <Table.ScrollContainer minWidth={480}>
          <Table verticalSpacing={6} data-testid="playback-urls">
            <Table.Tbody>
              {urls.map(([k, label]) => {
                const url = data.urls[k]!;
                const openable = /^https?:/.test(url) && k !== 'webrtc';
                return (
                  <Table.Tr key={k} data-testid={`url-${k}`}>
                    <Table.Td className="nowrap" fw={500} w={170}>
                      {label}
                    </Table.Td>
                    <Table.Td className="mono">{url}</Table.Td>
                    <Table.Td w={80}>
                      <Group gap={2} wrap="nowrap">
                        <CopyUrl value={url} label={label} />
                        {openable && (
                          <Tooltip label={`Open ${label} in a new tab`} withArrow>
                            <ActionIcon
                              component="a"
                              href={url}
                              target="_blank"
                              rel="noreferrer"
                              variant="subtle"
                              color="gray"
                              aria-label={`Open ${label} URL in a new tab`}
                            >
                              <IconExternal size={16} />
                            </ActionIcon>
                          </Tooltip>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      {data.urls.hls && (
        <Card withBorder>
          <Title order={3} size="h5" mb="xs">
            Player
          </Title>
          <Player src={data.urls.hls} />
          <Text size="xs" c="dimmed" mt={4}>
            Playing{' '}
            <Anchor href={data.urls.hls} target="_blank" rel="noreferrer" size="xs">
              the HLS URL
            </Anchor>{' '}
            straight from the streamer.
          </Text>
        </Card>
      )}
    </Stack>
  );
}
