#!/usr/bin/env python3
"""What the store's call index costs SQLite, apart from the rest of regen.

Inserts N calls with random blake3-like keys into a fresh WAL database, in
commits of GROUP calls (the store's writer commits what finished in ~10 ms;
about 150 calls in P1 at C = 256), with the store's pragmas, under two layouts:

  text  the layout before slots: `key TEXT PRIMARY KEY` (a 64-digit hex index)
  slot  today's: the key's first 64 bits as an integer under a unique index

and prints the CPU seconds of each (median of the rounds, interleaved) and
their ratio. Python's sqlite3, not regen's bundled SQLite: this isolates the
index layout, nothing else.

    python3 bench/store_index.py [N] [ROUNDS] [GROUP]     (default 20000 3 150)
"""
import os
import sqlite3
import statistics
import sys
import tempfile
import time

REQUEST = '{"endpoint_alias":"gen","model":"bench","messages":[["user","arith-0001: What is 17 + 25?"]],"temperature":0.0}'
LAYOUTS = {
    "text": (
        ["CREATE TABLE calls (key TEXT PRIMARY KEY, request TEXT NOT NULL, reply TEXT NOT NULL,"
         " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL,"
         " truncated INTEGER NOT NULL DEFAULT 0)"],
        "INSERT OR REPLACE INTO calls (key, request, reply, prompt_tokens, completion_tokens, created, truncated)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    ),
    "slot": (
        ["CREATE TABLE calls (key TEXT NOT NULL, slot INTEGER NOT NULL, request TEXT NOT NULL, reply TEXT NOT NULL,"
         " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL,"
         " truncated INTEGER NOT NULL DEFAULT 0)",
         "CREATE UNIQUE INDEX calls_slot ON calls (slot)"],
        "INSERT OR REPLACE INTO calls (key, request, reply, prompt_tokens, completion_tokens, created, truncated, slot)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    ),
}


def slot(key):
    """The key's first 64 bits as SQLite's signed integer (as regen stores it)."""
    v = int(key[:16], 16)
    return v - (1 << 64) if v >= 1 << 63 else v


def insert_all(layout, keys, group, folder):
    path = os.path.join(folder, f"{layout}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=10000"):
        db.execute(f"PRAGMA {pragma}")
    tables, insert = LAYOUTS[layout]
    for sql in tables:
        db.execute(sql)
    start = time.process_time()
    for i in range(0, len(keys), group):
        db.execute("BEGIN IMMEDIATE")
        for key in keys[i:i + group]:
            row = (key, REQUEST, "The answer is 42.", 40, 12, 1.0, 0)
            db.execute(insert, row + ((slot(key),) if layout == "slot" else ()))
        db.execute("COMMIT")
    spent = time.process_time() - start
    db.close()
    return spent


def main():
    n, rounds, group = (int(a) for a in (sys.argv[1:] + ["20000", "3", "150"][len(sys.argv) - 1:])[:3])
    keys = [os.urandom(32).hex() for _ in range(n)]
    spent = {layout: [] for layout in LAYOUTS}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            for layout in LAYOUTS:
                spent[layout].append(insert_all(layout, keys, group, folder))
    text, slotted = (statistics.median(spent[k]) for k in ("text", "slot"))
    print(f"{n} calls in commits of {group}, median of {rounds} rounds (CPU s): "
          f"text key {text:.3f}, slot {slotted:.3f}, slot ÷ text {slotted / text:.2f}")


if __name__ == "__main__":
    main()
