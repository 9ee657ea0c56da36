// Quotas on the WebDAV state a client can make the agent store (dead properties and locks), and caps on what
// one request may ask, so that no answer is much larger than its request. Each export (its root on disk) has
// its own state budget; the agent's database holds every export's.

export interface DavLimits {
  /** Bytes of one dead property (namespace, name, value and xml:lang as stored); larger is refused with 403. */
  maxPropertyBytes: number;
  /** Dead properties on one resource; past it PROPPATCH answers 507. */
  maxPropertiesPerResource: number;
  /** Bytes of all dead properties of an export; past it PROPPATCH and COPY answer 507. */
  maxPropertyBytesPerExport: number;
  /** Locks on one resource (only shared locks can be several); past it LOCK answers 507. */
  maxLocksPerResource: number;
  /** Unexpired locks in an export; past it LOCK answers 507. */
  maxLocksPerExport: number;
  /** Bytes of a lock's DAV:owner as stored (and sent back by every lock discovery); larger gets 413. */
  maxLockOwnerBytes: number;
  /**
   * Distinct property names one PROPFIND asks for, and operations one PROPPATCH holds; more gets 413. Each
   * name costs an element in the answer for every resource listed.
   */
  maxPropertyNamesPerRequest: number;
  /**
   * Bytes of those names: each distinct namespace URI once plus every local name. Bounds what each
   * D:response of a PROPFIND repeats (a Depth 1 listing repeats it per member); more gets 413.
   */
  maxPropertyNameBytesPerRequest: number;
}

/**
 * Clients store small properties (Windows' Win32 times and attributes, Office's, a few hundred bytes each), so
 * 64 KiB per property and 64 per resource leave them room while 100 × 1 MiB in seconds is refused.
 * 64 MiB per export holds those properties for some 100,000 files. A shared lock per client per file is
 * plenty at 32; 1,024 locks per export covers every document of a busy team open at once.
 * Clients name an href or a user name as lock owner (tens of bytes): 4 KiB leaves room for any of them.
 * Finder, Windows, Office and rclone ask for at most a few dozen properties at once, with short namespaces:
 * 256 names and 16 KiB of names leave them room while an answer stays close to the size of its request.
 * Past these a request gets 413 (RFC 9110 15.5.14: content larger than the server is willing to process):
 * RFC 4918 defines no condition for them, and 413 says it is the request that must shrink, not the disk.
 */
export const DEFAULT_DAV_LIMITS: DavLimits = {
  maxPropertyBytes: 64 * 1024,
  maxPropertiesPerResource: 64,
  maxPropertyBytesPerExport: 64 * 1024 * 1024,
  maxLocksPerResource: 32,
  maxLocksPerExport: 1024,
  maxLockOwnerBytes: 4 * 1024,
  maxPropertyNamesPerRequest: 256,
  maxPropertyNameBytesPerRequest: 16 * 1024,
};

/** The limits with `overrides` applied, checked once when the handler is made. */
export function davLimits(overrides: Partial<DavLimits> = {}): DavLimits {
  const limits = { ...DEFAULT_DAV_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`DAV limit ${name} must be a positive whole number, got ${value}`);
  }
  return limits;
}
