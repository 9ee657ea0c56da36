// Any unknown path inside the shell.
import { Anchor, EmptyState } from '@mantine/core';
import { Link } from 'react-router';

export default function NotFoundPage() {
  return (
    <EmptyState title="Page not found" description="There is nothing at this address." mt="xl">
      <EmptyState.Actions>
        <Anchor component={Link} to="/storage">
          Go to Storage
        </Anchor>
      </EmptyState.Actions>
    </EmptyState>
  );
}
