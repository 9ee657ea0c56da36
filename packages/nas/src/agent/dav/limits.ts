// Quotas on the WebDAV state a client can make the agent store: dead properties and locks. Each export (its
// root on disk) has its own budget; the agent's database holds every export's.

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
}

/**
 * Clients store small properties (Windows' Win32 times and attributes, Office's, a few hundred bytes each), so
 * 64 KiB per property and 64 per resource leave them room while 100 × 1 MiB in seconds is refused.
 * 64 MiB per export holds those properties for some 100,000 files. A shared lock per client per file is
 * plenty at 32; 1,024 locks per export covers every document of a busy team open at once.
 */
export const DEFAULT_DAV_LIMITS: DavLimits = {
  maxPropertyBytes: 64 * 1024,
  maxPropertiesPerResource: 64,
  maxPropertyBytesPerExport: 64 * 1024 * 1024,
  maxLocksPerResource: 32,
  maxLocksPerExport: 1024,
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
