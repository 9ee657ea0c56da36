// /s/:shareId#<secret>: what a share link opens, for anyone holding it, without an account. The secret sits
// in the fragment, which no server, log or Referer ever sees; the page trades it (and the password, if the
// link has one) for a short-lived credential that reaches only the shared item, and talks to its agent.
import {
  Alert,
  Anchor,
  Button,
  Center,
  Container,
  Loader,
  PasswordInput,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation, useParams } from 'react-router';
import { ApiError, errorMessage } from '../../api/api-error';
import { createFilesApi, type FilesApi } from '../files/files-api';
import type { OpenedShare } from '../files/files-types';
import { SharedDrop } from './shared-drop';
import { SharedFile } from './shared-file';
import { SharedFolder } from './shared-folder';

type Opening =
  | { state: 'idle' }
  | { state: 'opening' }
  | { state: 'password'; wrong: boolean }
  | { state: 'open'; share: OpenedShare; password: string | undefined }
  | { state: 'failed'; error: unknown };

export default function SharePage() {
  const { shareId = '' } = useParams();
  const { hash } = useLocation();
  const secret = hash.replace(/^#/, '');
  const api = useMemo(() => createFilesApi(), []);
  return (
    <Container size="lg" py="xl">
      <Stack gap="lg">
        <Text size="sm" c="dimmed">
          Shared with you through Homeport
        </Text>
        {secret === '' ? (
          <Alert color="red" title="This link is incomplete">
            The part after “#” is missing. Ask for the whole link again.
          </Alert>
        ) : (
          <OpenShare key={`${shareId}#${secret}`} api={api} shareId={shareId} secret={secret} />
        )}
      </Stack>
    </Container>
  );
}

function OpenShare({ api, shareId, secret }: { api: FilesApi; shareId: string; secret: string }) {
  const [opening, setOpening] = useState<Opening>({ state: 'idle' });
  const [password, setPassword] = useState('');

  const open = useCallback(
    async (withPassword?: string) => {
      setOpening({ state: 'opening' });
      try {
        const share = await api.openShare(shareId, secret, withPassword);
        setOpening({ state: 'open', share, password: withPassword });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'share_password_required') {
          setOpening({ state: 'password', wrong: false });
        } else if (error instanceof ApiError && error.code === 'share_password_wrong') {
          setOpening({ state: 'password', wrong: true });
        } else {
          setOpening({ state: 'failed', error });
        }
      }
    },
    [api, shareId, secret],
  );

  useEffect(() => {
    void open();
  }, [open]);
  // Stable while the link stays open: a new function would start a new agent session (and its uploads).
  const openedWith = opening.state === 'open' ? opening.password : undefined;
  const reopen = useCallback(
    () => api.openShare(shareId, secret, openedWith),
    [api, shareId, secret, openedWith],
  );

  switch (opening.state) {
    case 'idle':
    case 'opening':
      return (
        <Center mih={200} role="status" aria-label="Opening the link">
          <Loader />
        </Center>
      );
    case 'failed':
      return <Failed error={opening.error} onRetry={() => void open()} />;
    case 'password': {
      const submit = (event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        if (password !== '') void open(password);
      };
      return (
        <form onSubmit={submit} noValidate>
          <Stack gap="md" maw={420}>
            <Title order={1} size="h3">
              This link needs a password
            </Title>
            <PasswordInput
              label="Password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              error={opening.wrong ? 'That password is not right' : null}
              autoComplete="off"
              data-autofocus
            />
            <Button type="submit" disabled={password === ''} style={{ alignSelf: 'flex-start' }}>
              Open
            </Button>
          </Stack>
        </form>
      );
    }
    case 'open': {
      // Renewal asks the same question again: the link (and its password) for a fresh credential.
      const { share } = opening;
      if (share.mode === 'drop') return <SharedDrop share={share} reopen={reopen} />;
      if (share.kind === 'file') return <SharedFile share={share} reopen={reopen} />;
      return <SharedFolder share={share} reopen={reopen} />;
    }
  }
}

function Failed({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (error instanceof ApiError && error.status === 404) {
    return (
      <Alert color="gray" title="This link does not work">
        It may have expired or been revoked, or it was copied incompletely. Ask the person who shared it for a
        new one.
      </Alert>
    );
  }
  return (
    <Alert color="red" title="Could not open the link">
      <Stack gap="xs">
        <Text size="sm">{errorMessage(error)}</Text>
        {error instanceof ApiError && error.status === 429 ? (
          <Text size="sm">Wait {error.retryAfter ?? 60} seconds before trying again.</Text>
        ) : (
          <Anchor component="button" type="button" onClick={onRetry} size="sm">
            Try again
          </Anchor>
        )}
      </Stack>
    </Alert>
  );
}
