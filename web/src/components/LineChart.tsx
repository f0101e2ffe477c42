// A small SVG line chart: time on x, one or more series on y, with axis labels and a legend.
import { Box, Group, Text } from '@mantine/core';
import { useWidth } from './hooks';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

interface Props {
  title: string;
  series: Series[];
  /** Fixed y maximum (100 for percentages); otherwise from the data. */
  yMax?: number;
  format: (v: number) => string;
  height?: number;
  testId?: string;
  spanMs?: number;
}

const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

/** A "nice" round maximum above v: 1, 2, 5 × 10^n. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const hhmm = (t: number) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

export function LineChart({
  title,
  series: given,
  yMax,
  format,
  height = 160,
  testId,
  spanMs = 3600_000,
}: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const newest = Math.max(0, ...given.flatMap((s) => s.points.map((p) => p.x)));
  const series = given.map((s) => ({ ...s, points: s.points.filter((p) => p.x >= newest - spanMs) }));
  const all = series.flatMap((s) => s.points);
  // Always the last hour, ending now (or at the newest point), so a young streamer's few points sit
  // at the right edge rather than stretched over the whole width.
  const x1 = Math.max(Date.now(), ...all.map((p) => p.x));
  const x0 = x1 - spanMs;
  const top = yMax ?? niceMax(Math.max(0, ...all.map((p) => p.y)) * 1.1);
  const w = Math.max(width, 200);
  const iw = w - PAD.left - PAD.right;
  const ih = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * iw;
  const sy = (y: number) => PAD.top + ih - (Math.min(Math.max(y, 0), top) / top) * ih;
  const yTicks = [0, top / 2, top];
  const xTicks = [x0, (x0 + x1) / 2, x1];
  const last = series.map((s) => `${s.name} ${s.points.length ? format(s.points.at(-1)!.y) : 'no data'}`);

  return (
    <Box data-testid={testId}>
      <Group justify="space-between" mb={4} wrap="nowrap">
        <Text fw={600} size="sm">
          {title}
        </Text>
        <Group gap="sm" wrap="nowrap">
          {series.map((s) => (
            <Group key={s.name} gap={4} wrap="nowrap">
              <Box w={10} h={10} style={{ background: s.color, borderRadius: 2 }} />
              <Text size="xs" c="dimmed">
                {s.name}
              </Text>
            </Group>
          ))}
        </Group>
      </Group>
      <Box ref={ref} w="100%">
        <svg
          width={w}
          height={height}
          role="img"
          aria-label={`${title}, last hour: ${last.join(', ')}`}
          style={{ display: 'block', maxWidth: '100%' }}
        >
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line
                x1={PAD.left}
                x2={w - PAD.right}
                y1={sy(t)}
                y2={sy(t)}
                stroke="var(--mantine-color-default-border)"
                strokeDasharray={t ? '3 3' : undefined}
              />
              <text
                x={PAD.left - 6}
                y={sy(t)}
                textAnchor="end"
                dominantBaseline="middle"
                fontSize={11}
                fill="var(--mantine-color-dimmed)"
              >
                {format(t)}
              </text>
            </g>
          ))}
          {xTicks.map((t, i) => (
            <text
              key={`x${i}`}
              x={sx(t)}
              y={height - 6}
              textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
              fontSize={11}
              fill="var(--mantine-color-dimmed)"
            >
              {hhmm(t)}
            </text>
          ))}
          {series.map((s) =>
            s.points.length > 1 ? (
              <polyline
                key={s.name}
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                strokeLinejoin="round"
                points={s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}
              />
            ) : s.points.length === 1 ? (
              <circle key={s.name} cx={sx(s.points[0]!.x)} cy={sy(s.points[0]!.y)} r={3} fill={s.color} />
            ) : null,
          )}
          {!all.length && (
            <text
              x={PAD.left + iw / 2}
              y={PAD.top + ih / 2}
              textAnchor="middle"
              fontSize={12}
              fill="var(--mantine-color-dimmed)"
            >
              No data yet
            </text>
          )}
        </svg>
      </Box>
    </Box>
  );
}
