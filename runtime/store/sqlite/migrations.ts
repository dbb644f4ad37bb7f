// The SQLite store's schema, as numbered migrations: migration i takes a database from schema version i to i + 1
// (`PRAGMA user_version` holds the version). Append new ones at the end; never edit one that has shipped.
export const MIGRATIONS: readonly string[] = [
  // 1: the messages to all, in the order the server accepted them
  `CREATE TABLE messages (
     id     INTEGER PRIMARY KEY AUTOINCREMENT,
     sender TEXT    NOT NULL,
     text   TEXT    NOT NULL,
     ts     INTEGER NOT NULL
   );`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
