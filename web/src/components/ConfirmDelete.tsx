// "Delete X?" confirmation: the user types the name (or presses a clearly labelled button).
import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';

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
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" color="red" disabled={!ok} loading={loading} data-testid="confirm-delete">
              Delete {noun}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
