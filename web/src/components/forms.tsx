// Showing API errors on forms: a field error under the input its JSON pointer names, anything else in
// a form-level alert. Form values are never reset on error, so nothing typed is lost.
import { Alert, List } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { ApiError } from '../api/client';

/** "/inputs/0/url" → "inputs.0.url" (RFC 6901 unescaping). */
export function pointerToPath(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function hasPath(values: unknown, path: string): boolean {
  let cur: unknown = values;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[key];
  }
  return true;
}

/**
 * Puts the API's field errors on the form. `fieldMap` maps a wire path (or its first segment) to a
 * form field when the names differ. Returns the messages that belong to no field.
 */
export function applyApiError<T extends Record<string, unknown>>(
  form: UseFormReturnType<T>,
  error: unknown,
  fieldMap: Record<string, string> = {},
): string[] {
  if (!(error instanceof ApiError)) return [error instanceof Error ? error.message : String(error)];
  const rest: string[] = [];
  const values = form.getValues();
  for (const e of error.errors) {
    const title = e.title ?? e.code ?? error.message;
    const pointer = e.source?.pointer;
    if (!pointer || pointer === '/' || pointer === '') {
      rest.push(title);
      continue;
    }
    const path = pointerToPath(pointer);
    const root = path.split('.')[0]!;
    const target =
      fieldMap[path] ?? (hasPath(values, path) ? path : (fieldMap[root] ?? (root in values ? root : null)));
    if (target) form.setFieldError(target, title);
    else rest.push(title);
  }
  return rest;
}

export function FormAlert({ messages, title = 'Not saved' }: { messages: string[]; title?: string }) {
  if (!messages.length) return null;
  return (
    <Alert color="red" title={title} role="alert" data-testid="form-error">
      {messages.length === 1 ? (
        messages[0]
      ) : (
        <List size="sm">
          {messages.map((m, i) => (
            <List.Item key={i}>{m}</List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
