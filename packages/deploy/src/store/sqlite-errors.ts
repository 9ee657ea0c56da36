// Constraint violations of better-sqlite3, told apart by the extended result code its SqliteError carries.

const sqliteCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

export const isSqliteForeignKeyViolation = (error: unknown): boolean =>
  sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY';
