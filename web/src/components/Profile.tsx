// The frame shared by the stream and streamer profile pages: a breadcrumb header with a Delete button,
// tabs kept in the URL, and the key/value fact lists of their overviews.
import { Anchor, Button, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import { Link, type LinkProps } from '@tanstack/react-router';
import { IconTrash } from './Icons';

interface HeaderProps {
  /** The list the profile belongs to: the breadcrumb's link. */
  parent: { label: string; link: LinkProps };
  title: string;
  titleTestId: string;
  badge: React.ReactNode;
  onDelete: () => void;
  deleteTestId: string;
}

export function ProfileHeader({ parent, title, titleTestId, badge, onDelete, deleteTestId }: HeaderProps) {
  return (
    <Group justify="space-between" wrap="wrap">
      <Group gap="sm">
        <Anchor size="sm" renderRoot={(props) => <Link {...parent.link} {...props} />}>
          {parent.label}
        </Anchor>
        <Text c="dimmed">/</Text>
        <Title order={2} style={{ wordBreak: 'break-all' }} data-testid={titleTestId}>
          {title}
        </Title>
        {badge}
      </Group>
      <Button
        color="red"
        variant="light"
        leftSection={<IconTrash size={16} />}
        onClick={onDelete}
        data-testid={deleteTestId}
      >
        Delete
      </Button>
    </Group>
  );
}

export interface ProfileTab<T extends string> {
  value: T;
  label: string;
  panel: React.ReactNode;
}

/** The profile's tabs; each tab is `tab-<value>` for the browser tests. */
export function ProfileTabs<T extends string>({
  value,
  onChange,
  tabs,
}: {
  value: T;
  onChange: (tab: T) => void;
  tabs: ProfileTab<T>[];
}) {
  return (
    <Tabs value={value} onChange={(t) => onChange(t as T)}>
      <Tabs.List>
        {tabs.map((t) => (
          <Tabs.Tab key={t.value} value={t.value} data-testid={`tab-${t.value}`}>
            {t.label}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {tabs.map((t) => (
        <Tabs.Panel key={t.value} value={t.value} pt="md">
          {t.panel}
        </Tabs.Panel>
      ))}
    </Tabs>
  );
}

/** Label on the left, value on the right; `breakAll` for values such as URLs that have no spaces. */
export function FactList({ rows, breakAll }: { rows: [string, React.ReactNode][]; breakAll?: boolean }) {
  return (
    <Stack gap={6}>
      {rows.map(([k, v]) => (
        <Group key={k} justify="space-between" wrap="nowrap" gap="md">
          <Text size="sm" c="dimmed">
            {k}
          </Text>
          <Text
            size="sm"
            component="div"
            ta="right"
            style={breakAll ? { wordBreak: 'break-all' } : undefined}
          >
            {v}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}
