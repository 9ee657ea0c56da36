// How to mount a WebDAV export from macOS (or, on a phone, iOS and Android), Windows, Linux and rclone,
// filled in with the issued credential.
import { Alert, Code, Kbd, List, Stack, Tabs, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useState } from 'react';
import { CopySnippet } from './copy-controls';
import {
  davfsMountCommand,
  gioMountCommand,
  guessPlatform,
  isHttps,
  isMobileDevice,
  type MountPlatform,
  type MountTarget,
  PASSWORD_MASK,
  rcloneConfSection,
  rcloneCreateCommand,
  rcloneRemoteName,
  rcloneUnmountCommand,
  rcloneUsage,
  slugify,
  WINDOWS_BASIC_AUTH_COMMAND,
} from './mount-snippets';

/** A phone: by its user agent, or by a phone-sized screen (a desktop browser in a narrow window too). */
function usePhone(): boolean {
  const narrow = useMediaQuery('(max-width: 36em)', false, { getInitialValueInEffect: false });
  return narrow || isMobileDevice(navigator.userAgent, navigator.maxTouchPoints);
}

export function MountInstructions({ target }: { target: MountTarget }) {
  const phone = usePhone();
  const [chosen, setTab] = useState<string | null>(null);
  const first = phone ? 'phone' : (guessPlatform(navigator.userAgent, navigator.maxTouchPoints) ?? 'macos');
  // The phone tab takes the macOS tab's place; a choice made before the window narrowed may be gone.
  const tab = chosen === null || chosen === (phone ? 'macos' : 'phone') ? first : chosen;
  return (
    <Tabs value={tab} onChange={setTab} keepMounted={false}>
      <Tabs.List grow>
        {phone ? (
          <Tabs.Tab value={'phone' satisfies MountPlatform}>iPhone / Android</Tabs.Tab>
        ) : (
          <Tabs.Tab value={'macos' satisfies MountPlatform}>macOS</Tabs.Tab>
        )}
        <Tabs.Tab value={'windows' satisfies MountPlatform}>Windows</Tabs.Tab>
        <Tabs.Tab value={'linux' satisfies MountPlatform}>Linux</Tabs.Tab>
        <Tabs.Tab value={'rclone' satisfies MountPlatform}>rclone</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="macos" pt="md">
        <MacInstructions />
      </Tabs.Panel>
      <Tabs.Panel value="phone" pt="md">
        <PhoneInstructions />
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

/**
 * Neither iOS nor Android mounts WebDAV by itself: the Files app's Connect to Server speaks SMB only, and
 * Android has no WebDAV client built in. A file manager app that speaks WebDAV does it.
 */
function PhoneInstructions() {
  return (
    <Stack gap="sm">
      <Text size="sm" fw={500}>
        iPhone and iPad
      </Text>
      <Text size="sm">
        The Files app’s <b>Connect to Server</b> speaks SMB only, not WebDAV. Install a file manager that
        speaks WebDAV (for example Documents by Readdle or FE File Explorer), add a <b>WebDAV</b> server, and
        enter the URL, username and password from above. Many such apps then show the folder under Locations
        in Files too.
      </Text>
      <Text size="sm" fw={500}>
        Android
      </Text>
      <Text size="sm">
        Android has no WebDAV client of its own. In a file manager that speaks WebDAV (for example Material
        Files, free and open source, or Solid Explorer) add a <b>WebDAV</b> server with the URL, username and
        password from above.
      </Text>
      <Text size="sm" c="dimmed">
        Tap Copy beside each field and paste it into the app. The phone must reach the URL’s address: on your
        home network, or through the address the node advertises to the internet.
      </Text>
    </Stack>
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
      <Text size="sm" c="dimmed">
        Unmount with <Code>gio mount -u</Code> and the same address, or{' '}
        <Code>sudo umount /mnt/{slugify(target.label)}</Code> for davfs2.
      </Text>
    </Stack>
  );
}

function RcloneInstructions({ target }: { target: MountTarget }) {
  const remote = rcloneRemoteName(target.label, target.readonly);
  return (
    <Stack gap="md">
      <CopySnippet
        code={rcloneCreateCommand(target)}
        shown={rcloneCreateCommand(target, PASSWORD_MASK)}
        what="rclone command"
        caption={`Create a remote named ${remote}${target.readonly ? ' (read-only: its own name, so a read-write remote can sit beside it)' : ''}. Copy puts the real password in the command; rclone stores it obscured:`}
      />
      <CopySnippet
        code={rcloneConfSection(target)}
        shown={rcloneConfSection(target, PASSWORD_MASK)}
        what="rclone.conf section"
        caption="Or add this section to rclone.conf (rclone config file shows where it is), with the output of the rclone obscure command as pass:"
      />
      <CopySnippet
        code={rcloneUsage(target)}
        what="rclone usage"
        caption="Then list it, or mount it as a folder:"
      />
      <Text size="sm" c="dimmed">
        <Code>rclone mount</Code> needs FUSE: on Debian or Ubuntu <Code>sudo apt install fuse3</Code>, on
        macOS macFUSE or FUSE-T, on Windows WinFsp. It stays in the foreground; stop it with Ctrl-C, or
        unmount from another terminal:
      </Text>
      <CopySnippet
        code={rcloneUnmountCommand(target)}
        what="unmount command"
        caption="Linux (on macOS: umount with the same folder):"
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
