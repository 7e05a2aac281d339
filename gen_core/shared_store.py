"""State shared by every process of one deployment: the training jobs and the class (teacher's place, predictions).

Several server processes ("replicas", deploy/serve_replicas.py) and the job worker see the same jobs and the same
class only if that state lives outside all of them. By default it is one SQLite file in $GENLAB_HOME (`genlab.db`,
WAL mode, so readers never wait on the writer); with `GENLAB_REDIS_URL` set (e.g. redis://127.0.0.1:6379/0,
Debian's redis-server) it is Redis, which also serves replicas on several machines. Both offer the same small
interface: a counter, JSON values by key, and JSON maps (key -> field -> value) whose fields are written one at a
time, so two processes writing different fields of one map never overwrite each other.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from gen_core.data.dataset import genlab_home
from gen_core.errors import GenLabError

REDIS_URL_VARIABLE = "GENLAB_REDIS_URL"


def _plain(value):
    """What JSON cannot write as it is: numpy arrays and scalars as lists and numbers, anything else as text."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def _dump(value) -> str:
    return json.dumps(value, default=_plain)


class SqliteStore:
    """The store in one SQLite file: tables `kv` (key, value) and `fields` (map, field, value), JSON text."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection for the whole process, its calls taken in turn under a lock. Streamlit runs every script
        # run on a new thread, so a connection per thread was a connect and two PRAGMAs per run: with thirty
        # followers polling the teacher's place twice a second, 5% of a server's time (py-spy). Between processes
        # (replicas, the worker) SQLite's own locking applies as before.
        self._lock = threading.RLock()
        self._connection = None
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS fields (map TEXT NOT NULL, field TEXT NOT NULL, "
                       "value TEXT NOT NULL, PRIMARY KEY (map, field))")

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def _db(self) -> "_Held":
        """The process's connection, held (with ... as db) until the block ends."""
        return _Held(self)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None or os.getpid() != self._pid:  # a forked child opens its own
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)  # autocommit
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._connection, self._pid = db, os.getpid()
        return self._connection

    def increment(self, key: str) -> int:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
                value = (json.loads(row[0]) if row else 0) + 1
                db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, _dump(value)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return value

    def put(self, key: str, value) -> None:
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, _dump(value)))

    def get(self, key: str, default=None):
        with self._db() as db:
            row = db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put_field(self, name: str, field: str, value) -> None:
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO fields VALUES (?, ?, ?)", (name, str(field), _dump(value)))

    def get_field(self, name: str, field: str, default=None):
        with self._db() as db:
            row = db.execute("SELECT value FROM fields WHERE map = ? AND field = ?", (name, str(field))).fetchone()
        return json.loads(row[0]) if row else default

    def fields(self, name: str) -> dict:
        with self._db() as db:
            rows = db.execute("SELECT field, value FROM fields WHERE map = ?", (name,)).fetchall()
        return {field: json.loads(value) for field, value in rows}

    def drop(self, name: str) -> None:
        """Forget a key and a map of that name."""
        with self._db() as db:
            db.execute("DELETE FROM kv WHERE key = ?", (name,))
            db.execute("DELETE FROM fields WHERE map = ?", (name,))


class _Held:
    """The store's lock held and its connection given, for one `with` block."""

    def __init__(self, store: SqliteStore):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        try:
            return self.store._connect()
        except BaseException:
            self.store._lock.release()
            raise

    def __exit__(self, *exc) -> None:
        self.store._lock.release()


def _reachable(method):
    """A Redis call that fails (the server down, the URL wrong) becomes one GenLabError naming the URL and the fix,
    instead of redis's own exception on the first page that reads the queue."""
    import functools

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        import redis
        try:
            return method(self, *args, **kwargs)
        except redis.exceptions.RedisError as error:
            raise GenLabError(f"the shared store at {self.url} cannot be reached ({str(error)[:120]}); start "
                              f"redis-server there or unset GENLAB_REDIS_URL") from None
    return call


class RedisStore:
    """The same store in Redis: strings for keys (INCR for counters), hashes for maps; every key under a prefix."""

    def __init__(self, url: str, prefix: str = "genlab:"):
        import redis  # only deployments that set GENLAB_REDIS_URL need the client

        self.url, self.prefix = url, prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r})"

    @_reachable
    def increment(self, key: str) -> int:
        return int(self._redis.incr(self.prefix + key))

    @_reachable
    def put(self, key: str, value) -> None:
        self._redis.set(self.prefix + key, _dump(value))

    @_reachable
    def get(self, key: str, default=None):
        raw = self._redis.get(self.prefix + key)
        return json.loads(raw) if raw is not None else default

    @_reachable
    def put_field(self, name: str, field: str, value) -> None:
        self._redis.hset(self.prefix + "map:" + name, str(field), _dump(value))

    @_reachable
    def get_field(self, name: str, field: str, default=None):
        raw = self._redis.hget(self.prefix + "map:" + name, str(field))
        return json.loads(raw) if raw is not None else default

    @_reachable
    def fields(self, name: str) -> dict:
        return {field: json.loads(value) for field, value in self._redis.hgetall(self.prefix + "map:" + name).items()}

    @_reachable
    def drop(self, name: str) -> None:
        self._redis.delete(self.prefix + name, self.prefix + "map:" + name)


def redis_url() -> str | None:
    return os.environ.get(REDIS_URL_VARIABLE) or None


@lru_cache(maxsize=8)
def _store_for(home: str, url: str | None):
    return RedisStore(url) if url else SqliteStore(Path(home) / "genlab.db")


def shared_store():
    """This deployment's store: Redis when GENLAB_REDIS_URL is set, else $GENLAB_HOME/genlab.db (one per process
    and configuration)."""
    return _store_for(str(genlab_home()), redis_url())
