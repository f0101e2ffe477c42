// TanStack Query definitions: one key scheme for every resource, so mutations invalidate precisely.
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { api, namePath, request } from './client';
import type {
  ClusterStats,
  LayoutHistory,
  Playback,
  Session,
  StatsHistory,
  Stream,
  Streamer,
  StreamerList,
  StreamList,
} from './types';

export const LIVE_MS = 5000;

export const sessionQuery = queryOptions({
  queryKey: ['session'],
  queryFn: () => request<Session>('GET', '/ui/api/session', undefined, { quiet401: true }),
  staleTime: 60_000,
  retry: false,
});

export interface StreamListParams {
  q?: string;
  status?: string;
  streamer?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
}

const LIST_FIELDS = 'name,title,disabled,stats.status,stats.alive,stats.bitrate,stats.lifetime,layout.ingest';

/** Query parameters of GET /streams for the list's UI state. */
export function streamListQuery(p: StreamListParams) {
  const query: Record<string, string | number | undefined> = {
    limit: p.limit ?? 50,
    select: LIST_FIELDS,
    q: p.q,
    sort: p.sort,
    cursor: p.cursor,
    'layout.ingest': p.streamer,
  };
  if (p.status === 'disabled') query.disabled = 'true';
  else if (p.status) query['stats.status'] = p.status;
  return query;
}

export const streamsQuery = (p: StreamListParams) =>
  queryOptions({
    queryKey: ['streams', 'list', p],
    queryFn: ({ signal }) => api.get<StreamList>('/streams', streamListQuery(p), signal),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });

export const streamQuery = (name: string) =>
  queryOptions({
    queryKey: ['streams', 'one', name],
    queryFn: ({ signal }) => api.get<Stream>(`/streams/${namePath(name)}`, undefined, signal),
    refetchInterval: LIVE_MS,
  });

export const layoutsQuery = (name: string) =>
  queryOptions({
    queryKey: ['streams', 'layouts', name],
    queryFn: ({ signal }) =>
      api.get<LayoutHistory>(`/streams/${namePath(name)}/layouts`, { limit: 20 }, signal),
    refetchInterval: 15_000,
  });

export const playbackQuery = (name: string) =>
  queryOptions({
    queryKey: ['streams', 'playback', name],
    queryFn: ({ signal }) => api.get<Playback>(`/streams/${namePath(name)}/playback`, undefined, signal),
    refetchInterval: 10_000,
  });

export const streamersQuery = queryOptions({
  queryKey: ['streamers', 'list'],
  queryFn: ({ signal }) => api.get<StreamerList>('/streamers', { limit: 1000 }, signal),
  refetchInterval: LIVE_MS,
});

export const streamerQuery = (hostname: string) =>
  queryOptions({
    queryKey: ['streamers', 'one', hostname],
    queryFn: ({ signal }) =>
      api.get<Streamer>(`/streamers/${encodeURIComponent(hostname)}`, undefined, signal),
    refetchInterval: LIVE_MS,
  });

export const statsHistoryQuery = (hostname: string) =>
  queryOptions({
    queryKey: ['streamers', 'history', hostname],
    queryFn: ({ signal }) =>
      api.get<StatsHistory>(`/streamers/${encodeURIComponent(hostname)}/stats_history`, undefined, signal),
    refetchInterval: 30_000,
    retry: false,
  });

export const clusterQuery = queryOptions({
  queryKey: ['cluster'],
  queryFn: ({ signal }) => api.get<ClusterStats>('/cluster/stats', undefined, signal),
  refetchInterval: LIVE_MS,
});
