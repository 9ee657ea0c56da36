// How to mount a WebDAV export from macOS, Windows, Linux and rclone, filled in with the issued credential.
import { Alert, Kbd, List, Stack, Tabs, Text } from '@mantine/core';
import { useState } from 'react';
import { CopySnippet } from './copy-controls';
import {
  davfsMountCommand,
  gioMountCommand,
  guessPlatform,
  isHttps,
  type MountPlatform,
  type MountTarget,
  rcloneConfSection,
  rcloneCreateCommand,
  rcloneRemoteName,
  WINDOWS_BASIC_AUTH_COMMAND,
} from './mount-snippets';

export function MountInstructions({ target }: { target: MountTarget }) {
  const [tab, setTab] = useState<string | null>(() => guessPlatform(navigator.userAgent) ?? 'macos');
  return (
    <Tabs value={tab} onChange={setTab} keepMounted={false}>
      <Tabs.List grow>
        <Tabs.Tab value={'macos' satisfies MountPlatform}>macOS</Tabs.Tab>
        <Tabs.Tab value={'windows' satisfies MountPlatform}>Windows</Tabs.Tab>
        <Tabs.Tab value={'linux' satisfies MountPlatform}>Linux</Tabs.Tab>
        <Tabs.Tab value={'rclone' satisfies MountPlatform}>rclone</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="macos" pt="md">
        <MacInstructions />
      </Tabs.Panel>
      <Tabs.Panel value="windows" pt="md">
        <WindowsInstructions target={target} />
      </Tabs.Panel>
      <Tabs.Panel value="linux" pt="md">
        <LinuxInstructions target={target} />
      </Tabs.Panel>
      <Tabs.Panel value="rclone" pt="md">
        <RcloneInstructions target={target} />
      </Tabs.Panel>
    </Tabs>
  );
}

function MacInstructions() {
  return (
    <List type="ordered" size="sm" spacing={6}>
      <List.Item>
        In Finder, choose <b>Go → Connect to Server</b> (<Kbd size="xs">⌘</Kbd> <Kbd size="xs">K</Kbd>).
      </List.Item>
      <List.Item>
        Paste the URL into <b>Server Address</b> and click <b>Connect</b>.
      </List.Item>
      <List.Item>
        Choose <b>Registered User</b>, enter the username and password from above, and click <b>Connect</b>.
        The folder opens in Finder and appears under Locations.
      </List.Item>
    </List>
  );
}

function WindowsInstructions({ target }: { target: MountTarget }) {
  return (
    <Stack gap="sm">
      <List type="ordered" size="sm" spacing={6}>
        <List.Item>
          Open File Explorer, right-click <b>This PC</b> and choose <b>Map network drive</b>.
        </List.Item>
        <List.Item>
          Pick a drive letter and paste the URL into <b>Folder</b>.
        </List.Item>
        <List.Item>
          Tick <b>Connect using different credentials</b>, click <b>Finish</b>, and enter the username and
          password from above.
        </List.Item>
      </List>
      {isHttps(target.url) ? (
        <Text size="sm" c="dimmed">
          Windows accepts this https address as it is.
        </Text>
      ) : (
        <Alert color="yellow" variant="light" title="Plain http needs one registry change">
          <Stack gap="xs">
            <Text size="sm">
              Windows’ WebDAV client (the WebClient service) sends a username and password over plain http
              only when{' '}
              <Text span ff="monospace">
                BasicAuthLevel
              </Text>{' '}
              is 2. Run this once in a Command Prompt opened as administrator, then map the drive:
            </Text>
            <CopySnippet code={WINDOWS_BASIC_AUTH_COMMAND} what="Windows registry commands" />
          </Stack>
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        Windows also refuses files larger than 50 MB over WebDAV unless{' '}
        <Text span ff="monospace">
          FileSizeLimitInBytes
        </Text>{' '}
        is raised in the same registry key.
      </Text>
    </Stack>
  );
}

function LinuxInstructions({ target }: { target: MountTarget }) {
  return (
    <Stack gap="md">
      <CopySnippet
        code={gioMountCommand(target)}
        what="gio command"
        caption={`With GNOME's gio (GVfs): it asks for the username and password, and the folder appears in the file manager. GVfs calls WebDAV ${isHttps(target.url) ? 'davs://' : 'dav://'}.`}
      />
      <CopySnippet
        code={davfsMountCommand(target)}
        what="davfs2 commands"
        caption="Or with davfs2 (apt install davfs2), as a folder any program can use; it asks for the username and password:"
      />
    </Stack>
  );
}

function RcloneInstructions({ target }: { target: MountTarget }) {
  const remote = rcloneRemoteName(target.label);
  return (
    <Stack gap="md">
      <CopySnippet
        code={rcloneCreateCommand(target)}
        what="rclone command"
        caption={`Create a remote named ${remote} (rclone stores the password obscured):`}
      />
      <CopySnippet
        code={rcloneConfSection(target)}
        what="rclone.conf section"
        caption="Or add this section to rclone.conf (rclone config file shows where it is), with the output of the rclone obscure command as pass:"
      />
      <CopySnippet
        code={`rclone lsf ${remote}:\nmkdir -p ~/${remote} && rclone mount ${remote}: ~/${remote} --vfs-cache-mode writes`}
        what="rclone usage"
        caption="Then list it, or mount it as a folder:"
      />
      <Text size="sm" c="dimmed">
        The credential expires (see above); then open this dialog again and rerun the new{' '}
        <Text span ff="monospace">
          rclone config create
        </Text>{' '}
        command, which replaces the remote.
      </Text>
    </Stack>
  );
}
