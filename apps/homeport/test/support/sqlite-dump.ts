// Comparing SQLite databases in tests: every row of every table.

import Database from 'better-sqlite3';

/** Every row of every table of the database at `file`, order-independent: equal dumps mean equal contents. */
export function dumpDatabase(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[]; // pluck() returns the single TEXT column
    return Object.fromEntries(
      tables.map((table) => [
        table,
        db
          .prepare(`SELECT * FROM "${table}"`)
          .all()
          .map((row) => JSON.stringify(row))
          .sort(),
      ]),
    );
  } finally {
    db.close();
  }
}
