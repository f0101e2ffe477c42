// "Delete X?" confirmation: the user types the name (or presses a clearly labelled button); and the
// delete flow of a profile page that opens it.
import { Alert, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import { ModalActions } from './forms';

interface Props {
  opened: boolean;
  onClose: () => void;
  onConfirm: () => void;
  noun: string;
  name: string;
  loading?: boolean;
  error?: string | null;
  children?: React.ReactNode;
}

export function ConfirmDelete({ opened, onClose, onConfirm, noun, name, loading, error, children }: Props) {
  const [typed, setTyped] = useState('');
  const ok = typed === name;
  const close = () => {
    setTyped('');
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={`Delete ${noun}`} centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) onConfirm();
        }}
      >
        <Stack>
          <Text size="sm">
            This deletes {noun} <b>{name}</b>. {children}
          </Text>
          <TextInput
            label={`Type the ${noun} name to confirm`}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            data-testid="confirm-delete-input"
            data-autofocus
            autoComplete="off"
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <ModalActions onCancel={close} color="red" disabled={!ok} loading={loading} testId="confirm-delete">
            Delete {noun}
          </ModalActions>
        </Stack>
      </form>
    </Modal>
  );
}

interface DeleteOptions {
  /** The resource's API path. */
  path: string;
  /** The resource's own cache entry (`[kind, 'one', id]`): dropped, so nothing refetches the deleted
   * resource; the rest of `kind` is refetched. */
  queryKey: QueryKey;
  /** Leaves the page of the deleted resource (its list). */
  leave: () => Promise<unknown>;
}

/**
 * The state and DELETE call behind a profile page's Delete button: `open` shows the dialog, `dialog`
 * is spread on ConfirmDelete (which shows a failure and stays open).
 */
export function useDelete({ path, queryKey, leave }: DeleteOptions) {
  const queryClient = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onConfirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(path);
      queryClient.removeQueries({ queryKey });
      await queryClient.invalidateQueries({ queryKey: queryKey.slice(0, 1) });
      await leave();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return {
    open: () => setOpened(true),
    dialog: { opened, onClose: () => setOpened(false), onConfirm, loading: busy, error },
  };
}
