// A small "may be out of date" mark for pages that show live status (users, nodes): shown while the server
// cannot be reached, since nothing on the page can change until it is back.
import { Badge, type BadgeProps } from '@mantine/core';
import { useConnection } from '../api/connection-context';
import { formatTime } from '../lib/format';

export function LiveDataHint(props: BadgeProps) {
  const connection = useConnection();
  if (connection.status === 'online') return null;
  return (
    <Badge
      color="yellow"
      variant="light"
      data-testid="stale-hint"
      title={`Not updated since ${formatTime(connection.since)}: Homeport cannot be reached`}
      {...props}
    >
      May be out of date
    </Badge>
  );
}
