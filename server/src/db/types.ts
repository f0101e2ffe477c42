// One query interface for both backends, so repositories hold the same SQL for PGlite and PostgreSQL.
export type Row = Record<string, unknown>;

export interface Queryable {
  /**
   * A parameterised statement. With a `name`, PostgreSQL parses and plans it once per connection
   * (a named prepared statement): for the hot fixed statements; never for generated SQL.
   */
  query<T extends Row = Row>(
    text: string,
    params?: unknown[],
    name?: string,
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction on one connection; rolls back when fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN: fn gets each NOTIFY payload of the channel. Delivery is best effort (a dropped connection
   * loses notifications until it is back), so listeners only wake loops that also poll.
   */
  listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class DatabaseError extends Error {}
