// Kept apart from forms.tsx: the sign-in page is in the initial bundle, the rest of the forms are not.
import { PasswordInput, type PasswordInputProps } from '@mantine/core';

/** A password field whose show/hide toggle is reachable by keyboard and has an accessible name. */
export function SecretInput(props: PasswordInputProps) {
  return (
    <PasswordInput
      visibilityToggleFocusable
      visibilityToggleButtonProps={{ 'aria-label': 'Show characters' }}
      {...props}
    />
  );
}
