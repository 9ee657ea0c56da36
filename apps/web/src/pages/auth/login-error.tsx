// The sentence under the sign-in form when it fails; a rate limit counts down to when trying again helps.
import { Text } from '@mantine/core';
import { ApiError, errorMessage } from '../../api/api-error';
import { useSecondsLeft } from '../../hooks/use-seconds-left';

export interface LoginFailure {
  error: unknown;
  /** When it happened (ms since epoch); `Retry-After` counts from here. */
  at: number;
}

export function LoginError({ failure }: { failure: LoginFailure }) {
  const { error, at } = failure;
  const retryAfter = error instanceof ApiError && error.status === 429 ? error.retryAfter : undefined;
  const secondsLeft = useSecondsLeft(retryAfter === undefined ? undefined : at + retryAfter * 1000);
  return (
    <Text c={secondsLeft === 0 ? 'dimmed' : 'red'} size="sm" role="alert">
      {loginErrorMessage(error, secondsLeft)}
    </Text>
  );
}

function loginErrorMessage(error: unknown, secondsLeft: number | undefined): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  if (error.status === 429) {
    if (secondsLeft === undefined) return 'Too many attempts, try again later';
    if (secondsLeft === 0) return 'You can try again now.';
    return `Too many attempts, try again in ${secondsLeft} s`;
  }
  if (error.code === 'user_disabled') return 'This account is disabled. Ask an administrator to enable it.';
  if (error.status === 401) return 'Invalid username or password';
  return error.message;
}
