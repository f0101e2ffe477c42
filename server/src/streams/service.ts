import { StreamName, StreamPatch } from '@central/protocol';
import type { Db } from '../db/index.ts';
import type { DocumentRow } from '../db/documents.ts';
import type { Clock } from '../lib/clock.ts';
import { documentService } from '../lib/document-service.ts';
import { streamsRepo } from './repo.ts';

export function streamToWire(row: DocumentRow): Record<string, unknown> {
  return { name: row.key, ...row.config, updated_at: row.updated_at };
}

export function streamsService(db: Db, clock: Clock) {
  return documentService(
    {
      noun: 'stream',
      plural: 'streams',
      keyField: 'name',
      keySchema: StreamName(),
      patchSchema: StreamPatch,
      readOnly: ['inputs.*.stats', 'pushes.*.stats'],
      toWire: streamToWire,
    },
    streamsRepo,
    db,
    clock,
  );
}
