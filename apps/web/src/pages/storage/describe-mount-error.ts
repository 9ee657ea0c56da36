// What to tell a person when a mount credential could not be issued, by the server's error code.
import { ApiError, errorMessage } from '../../api/api-error';

export function describeMountError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'node_offline') return 'The node is offline; try again when it is back.';
    if (error.code === 'not_granted') {
      return 'This export is not shared with you (any more). Ask an admin to share it again.';
    }
    if (error.code === 'export_not_found') {
      return 'This export no longer exists: its node stopped exporting the folder.';
    }
  }
  return errorMessage(error);
}
