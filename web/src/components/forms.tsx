// Forms that write to the API: a field error under the input its JSON pointer names, anything else in
// a form-level alert; the submit flow and the buttons every form repeats. Form values are never reset
// on error, so nothing typed is lost.
import { Alert, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../api/client';

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

/**
 * The submit handler of a form whose `action` calls the API: a failed call puts its errors on the fields
 * (through `fieldMap`, as in applyApiError) and the rest in `formErrors`, for a FormAlert.
 */
export function useApiSubmit<T extends Record<string, unknown>>(
  form: UseFormReturnType<T>,
  action: (values: T) => Promise<void>,
  fieldMap?: Record<string, string>,
) {
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const submit = form.onSubmit(async (values) => {
    setFormErrors([]);
    try {
      await action(values);
    } catch (e) {
      setFormErrors(applyApiError(form, e, fieldMap));
    }
  });
  return { submit, formErrors };
}

interface SaveOptions<T, R> {
  /** The resource's API path; its PUT is a merge patch and answers with the saved resource. */
  path: string;
  /** The resource's own cache entry (`[kind, 'one', id]`); the rest of `kind` is refetched. */
  queryKey: QueryKey;
  body: (values: T) => unknown;
  /** Brings the form in line with what the server stored (so it is no longer dirty). */
  onSaved: (saved: R) => void;
  message: string;
}

/** A settings form's save: PUT, show the answer everywhere at once, confirm with a notification. */
export function useSaveForm<T extends Record<string, unknown>, R>(
  form: UseFormReturnType<T>,
  { path, queryKey, body, onSaved, message }: SaveOptions<T, R>,
) {
  const queryClient = useQueryClient();
  return useApiSubmit(form, async (values) => {
    const saved = await api.put<R>(path, body(values));
    queryClient.setQueryData(queryKey, saved);
    await queryClient.invalidateQueries({ queryKey: queryKey.slice(0, 1) });
    onSaved(saved);
    notifications.show({ color: 'green', message });
  });
}

/** A settings form's Save button (after any `children`), with a hint while edits are not saved. */
export function SaveBar({
  submitting,
  dirty,
  testId,
  children,
}: {
  submitting: boolean;
  dirty: boolean;
  testId: string;
  children?: React.ReactNode;
}) {
  return (
    <Group>
      {children}
      <Button type="submit" loading={submitting} data-testid={testId}>
        Save
      </Button>
      {dirty && (
        <Text size="sm" c="dimmed">
          Unsaved changes
        </Text>
      )}
    </Group>
  );
}

/** A dialog form's Cancel and submit buttons; `children` labels the submit button. */
export function ModalActions({
  onCancel,
  loading,
  testId,
  color,
  disabled,
  children,
}: {
  onCancel: () => void;
  loading?: boolean;
  testId: string;
  color?: string;
  disabled?: boolean;
  children: React.ReactNode;
}) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" color={color} disabled={disabled} loading={loading} data-testid={testId}>
        {children}
      </Button>
    </Group>
  );
}

/** A dialog that creates something: its fields (`children`), the form-level errors, Cancel and submit. */
export function FormModal({
  opened,
  onClose,
  title,
  onSubmit,
  formErrors,
  errorTitle,
  submitting,
  submitLabel,
  submitTestId,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  onSubmit: React.FormEventHandler<HTMLFormElement>;
  formErrors: string[];
  errorTitle?: string;
  submitting: boolean;
  submitLabel: string;
  submitTestId: string;
  children: React.ReactNode;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <FormAlert messages={formErrors} title={errorTitle} />
          {children}
          <ModalActions onCancel={onClose} loading={submitting} testId={submitTestId}>
            {submitLabel}
          </ModalActions>
        </Stack>
      </form>
    </Modal>
  );
}
