// The shapes the Files page and the public link page exchange with the agent (design13.md's contract) and
// with the control plane (browser access, share links: from the route schemas, through openapi.gen.ts).
import type { ApiAnswer, ApiBody } from '../../api/types';

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

/** `POST /api/v1/exports/{id}/browser-access`: 15 minutes on the export's agent. */
export type BrowserAccess = ApiAnswer<'/api/v1/exports/{exportId}/browser-access', 'post'>;

export type ShareMode = ShareLink['mode'];

/** A share link as the control plane lists it (its secret is never sent again). */
export type ShareLink = ApiAnswer<'/api/v1/shares', 'get'>['shares'][number];

export type CreateShareInput = ApiBody<'/api/v1/exports/{exportId}/shares', 'post'>;

/** The one answer that carries the link with its secret (`url`, relative without a public URL set). */
export type CreatedShare = ApiAnswer<'/api/v1/exports/{exportId}/shares', 'post', 201>;

/** `POST /api/v1/public/shares/{id}/open`: access to just the shared item. */
export type OpenedShare = ApiAnswer<'/api/v1/public/shares/{shareId}/open', 'post'>;
