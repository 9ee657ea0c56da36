// The ways `npm run release` fails, each with a message that says what to do.

export type ReleaseErrorCode =
  /** apps/homeport/dist or apps/web/dist missing, or an import of the bundle names a missing file. */
  | 'bundle_incomplete'
  /** A package the bundle loads is not installed, or installed outside the repository's node_modules. */
  | 'package_missing'
  /** A copied file still loads a package left out as build-time only. */
  | 'package_left_out'
  /** The installed better-sqlite3 addon does not load with the Node running the release. */
  | 'addon_mismatch'
  /** `tar` failed or is not installed. */
  | 'archive_failed';

export class ReleaseError extends Error {
  readonly code: ReleaseErrorCode;
  constructor(code: ReleaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReleaseError';
    this.code = code;
  }
}
