// The text of the mount instructions: URLs and commands built from a mount profile, ready to copy.

export interface MountTarget {
  /** `http(s)://<node>/dav/<export>/`, as the server gave it. */
  url: string;
  username: string;
  password: string;
  /** The export's label; names the rclone remote and the Linux mount point. */
  label: string;
  /** A read-only credential: its rclone remote gets its own name, so both can be configured side by side. */
  readonly: boolean;
}

/** `phone` stands in for `macos` on phones and tablets (no Finder there, and no WebDAV in their Files apps). */
export type MountPlatform = 'macos' | 'phone' | 'windows' | 'linux' | 'rclone';

/** Shown instead of the password in snippets; the Copy button copies the real one. */
export const PASSWORD_MASK = '••••••••';

/**
 * POSIX shell single quotes: everything inside is literal, and a `'` is closed, escaped and reopened.
 * Values come from the server, but a label or a URL must never be able to run a command when pasted.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A short name safe in a path, a shell word and an rclone remote name: "Family Photos" → "family-photos". */
export function slugify(label: string, fallback = 'files'): string {
  const slug = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return slug === '' ? fallback : slug;
}

export function isHttps(url: string): boolean {
  return /^https:/i.test(url);
}

/** GVfs names WebDAV `dav://` over http and `davs://` over https; it does not accept http(s) URLs. */
export function gioDavUrl(url: string): string {
  if (/^https:\/\//i.test(url)) return `davs://${url.slice('https://'.length)}`;
  if (/^http:\/\//i.test(url)) return `dav://${url.slice('http://'.length)}`;
  return url;
}

/**
 * True when the URL names this machine (localhost, 127.0.0.0/8, ::1): it then works only on the node
 * itself, which is worth saying when the browser is elsewhere.
 */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\./.test(host);
}

/** `homeport-photos` for read-write, `homeport-photos-ro` for read-only: one never replaces the other. */
export function rcloneRemoteName(label: string, readonly = false): string {
  return `homeport-${slugify(label)}${readonly ? '-ro' : ''}`;
}

/**
 * `rclone config create` with the password obscured first. `--no-obscure` is needed because a long
 * base64-looking password (ours) can make rclone believe it is already obscured and store it as is;
 * passing it obscured and saying so removes the guess. `--` ends rclone's flags: a password that starts
 * with `-` is still the argument. `shownPassword` replaces the password in the text
 * (PASSWORD_MASK for the screen; the copied command has the real one).
 */
export function rcloneCreateCommand(target: MountTarget, shownPassword?: string): string {
  const password = shownPassword ?? shellQuote(target.password);
  return [
    'rclone config create',
    rcloneRemoteName(target.label, target.readonly),
    'webdav',
    `url=${shellQuote(target.url)}`,
    'vendor=other',
    `user=${shellQuote(target.username)}`,
    `pass="$(rclone obscure -- ${password})"`,
    '--no-obscure',
  ].join(' ');
}

/** Placeholder in the rclone.conf section: the file wants the obscured form, which only rclone computes. */
export const OBSCURED_PASSWORD_PLACEHOLDER = 'OUTPUT_OF_RCLONE_OBSCURE';

/** The same remote as `rcloneCreateCommand`, as a section of `rclone.conf`; `shownPassword` as there. */
export function rcloneConfSection(target: MountTarget, shownPassword?: string): string {
  return [
    `[${rcloneRemoteName(target.label, target.readonly)}]`,
    'type = webdav',
    `url = ${target.url}`,
    'vendor = other',
    `user = ${target.username}`,
    `# pass is the password obscured: rclone obscure -- ${shownPassword ?? shellQuote(target.password)}`,
    `pass = ${OBSCURED_PASSWORD_PLACEHOLDER}`,
  ].join('\n');
}

/**
 * Listing and mounting the remote. `rclone mount` is a FUSE file system: it stays in the foreground until
 * Ctrl-C or an unmount.
 */
export function rcloneUsage(target: MountTarget): string {
  const remote = rcloneRemoteName(target.label, target.readonly);
  return [
    `rclone lsf ${remote}:`,
    `mkdir -p ~/${remote} && rclone mount ${remote}: ~/${remote} --vfs-cache-mode writes`,
  ].join('\n');
}

/** Unmounting what `rcloneUsage` mounted (Linux; on macOS `umount`). */
export function rcloneUnmountCommand(target: MountTarget): string {
  return `fusermount3 -u ~/${rcloneRemoteName(target.label, target.readonly)}`;
}

export function gioMountCommand(target: MountTarget): string {
  return `gio mount ${shellQuote(gioDavUrl(target.url))}`;
}

/**
 * davfs2 asks for the username and password when it mounts. Without uid/gid the files belong to root,
 * and the person who mounted them could not write.
 */
export function davfsMountCommand(target: MountTarget): string {
  const mountPoint = `/mnt/${slugify(target.label)}`;
  return [
    `sudo mkdir -p ${mountPoint}`,
    `sudo mount -t davfs -o uid="$(id -u)",gid="$(id -g)" ${shellQuote(target.url)} ${mountPoint}`,
  ].join('\n');
}

/**
 * Windows' WebClient refuses Basic auth over plain http unless BasicAuthLevel is 2 (its default, 1,
 * allows it over https only); the service reads the value when it starts. Run in an administrator prompt.
 */
export const WINDOWS_BASIC_AUTH_COMMAND = [
  'reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters /v BasicAuthLevel /t REG_DWORD /d 2 /f',
  'net stop webclient',
  'net start webclient',
].join('\n');

/**
 * How to add a node from another machine. The bootstrap token goes in the environment: the agent takes
 * it from there only, so it never shows in the process list.
 */
export function agentCommand(controlPlaneUrl: string): string {
  return [
    `HOMEPORT_NODE_BOOTSTRAP_TOKEN='<node bootstrap token>' \\`,
    `  homeport agent --control-plane ${shellQuote(controlPlaneUrl)} --export /srv/photos:Photos`,
  ].join('\n');
}

/**
 * A phone or tablet, by its user agent: iPhone, iPad (iPadOS says "Macintosh" but has a touch screen) and
 * Android. Finder's instructions mean nothing there.
 */
export function isMobileDevice(userAgent: string, maxTouchPoints = 0): boolean {
  if (/iPhone|iPad|iPod|Android/i.test(userAgent)) return true;
  return /Macintosh/i.test(userAgent) && maxTouchPoints > 1;
}

/** The tab to open first, from the browser's user agent; undefined when it says nothing useful. */
export function guessPlatform(userAgent: string, maxTouchPoints = 0): MountPlatform | undefined {
  if (isMobileDevice(userAgent, maxTouchPoints)) return 'phone';
  // ChromeOS user agents also contain "Linux", but have no gio or davfs2 to offer.
  if (/CrOS/i.test(userAgent)) return undefined;
  if (/Macintosh|Mac OS X/i.test(userAgent)) return 'macos';
  if (/Windows/i.test(userAgent)) return 'windows';
  if (/Linux|X11/i.test(userAgent)) return 'linux';
  return undefined;
}
