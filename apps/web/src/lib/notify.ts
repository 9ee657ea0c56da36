// Toasts for the outcome of a change the user asked for (created, revoked, failed…).
import { notifications } from '@mantine/notifications';
import { errorMessage } from '../api/api-error';

export function notifySuccess(message: string): void {
  notifications.show({ color: 'teal', message });
}

export function notifyFailure(title: string, error: unknown): void {
  notifications.show({ color: 'red', title, message: errorMessage(error), autoClose: 8000 });
}
