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
  // 2: accounts (a nickname's key; its password only as an scrypt hash with its salt and cost) and the private
  // messages kept for a registered nickname while it is offline
  `CREATE TABLE accounts (
     name_key TEXT    PRIMARY KEY,
     name     TEXT    NOT NULL,
     hash     BLOB    NOT NULL,
     salt     BLOB    NOT NULL,
     scrypt_n INTEGER NOT NULL,
     scrypt_r INTEGER NOT NULL,
     scrypt_p INTEGER NOT NULL,
     created  INTEGER NOT NULL
   );
   CREATE TABLE offline (
     id        INTEGER PRIMARY KEY AUTOINCREMENT,
     to_key    TEXT    NOT NULL,
     recipient TEXT    NOT NULL,
     sender    TEXT    NOT NULL,
     text      TEXT    NOT NULL,
     ts        INTEGER NOT NULL
   );
   CREATE INDEX offline_to ON offline (to_key, id);`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
