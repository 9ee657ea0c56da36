// betterNAS trims what agents and apps send before checking it; Homeport's routes do the same in a
// preValidation hook, so a blank field is an empty one and the route's schema refuses it.

/** Trims the named string fields of a parsed JSON object in place; anything else is left to the schema. */
export function trimFields(target: unknown, fields: readonly string[]): void {
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return;
  const record = target as Record<string, unknown>; // a parsed JSON object: only its string fields change
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string') record[field] = value.trim();
  }
}
