// The shapes the Files page and the public link page exchange with the agent (design13.md's contract) and
// with the control plane (browser access, share links).

export type EntryKind = 'file' | 'folder';

/** One member of a folder as `GET <folder>/?list` answers it. */
export interface FileEntry {
  name: string;
  kind: EntryKind;
  /** Bytes; 0 for a folder. */
  size: number;
  /** ISO date. */
  modified: string;
  /** The media type the agent would serve the file as; absent or '' for folders. */
  type?: string;
}

export interface FolderListing {
  /** The folder's export-relative path, '/'-rooted. */
  path: string;
  entries: FileEntry[];
  /** The agent stopped listing at its limit: the folder holds more than shown. */
  truncated: boolean;
}

/**
 * A short-lived credential for one export's agent: the browser sends `token` as a Bearer password (or as
 * `?access_token=` where a header cannot be set) to `baseUrl`, the export's mount URL.
 */
export interface AgentAccess {
  baseUrl: string;
  token: string;
  /** ISO date. */
  expiresAt: string;
}

/** `POST /api/v1/exports/{id}/browser-access`. */
export interface BrowserAccess extends AgentAccess {
  readonly: boolean;
  exportId: string;
  label: string;
}

export type ShareMode = 'view' | 'drop';

/** A share link as the control plane lists it (its secret is never sent again). */
export interface ShareLink {
  id: string;
  exportId: string;
  /** null once the export is gone (the link no longer opens). */
  exportLabel: string | null;
  path: string;
  name: string;
  kind: EntryKind;
  mode: ShareMode;
  hasPassword: boolean;
  /** The creator's user id. */
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
  opens: number;
  lastOpenedAt: string | null;
}

export interface CreateShareInput {
  path: string;
  mode: ShareMode;
  kind: EntryKind;
  expiresInDays?: number;
  password?: string;
}

/** The one answer that carries the link with its secret. */
export interface CreatedShare {
  share: ShareLink;
  url: string;
}

/** `POST /api/v1/public/shares/{id}/open`: access to just the shared item. */
export interface OpenedShare extends AgentAccess {
  mode: ShareMode;
  name: string;
  kind: EntryKind;
  path: string;
}
