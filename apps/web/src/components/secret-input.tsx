// Password field with a show/hide toggle whose accessible name does not contain the word "password".
import { PasswordInput, type PasswordInputProps } from '@mantine/core';

// Mantine labels the toggle "Toggle password visibility"; label lookups such as Playwright's
// getByLabel('Password') match substrings of aria-labels too, and would find the toggle as well as
// the field. This name still says what the button does.
const toggleProps = { 'aria-label': 'Show characters' };

export function SecretInput(props: PasswordInputProps) {
  return <PasswordInput visibilityToggleButtonProps={toggleProps} {...props} />;
}
