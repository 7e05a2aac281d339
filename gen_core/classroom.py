"""A class led by a teacher: the teacher's key, the step the class follows, and the class's predictions.

All of it lives in the deployment's shared store (gen_core.shared_store: SQLite in $GENLAB_HOME, or Redis), so a
student on any replica follows the teacher on any other, and one who joins late reads the current step.

- The key: GENLAB_TEACHER_KEY, or one made at the first server start and kept in $GENLAB_HOME/teacher_key (mode
  600), printed by the server as Jupyter prints its token. `key_matches` compares digests of equal length with
  hmac.compare_digest, so the time a wrong key takes says nothing about the right one.
- The lead: where the teacher is (page, lesson, step, whether the step's answer is revealed), with a sequence
  number that grows on every change; followers apply a lead whose number they have not seen.
- Predictions: one guess per visitor per lesson step; the tally counts them.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gen_core.data.dataset import genlab_home
from gen_core.shared_store import shared_store

TEACHER_KEY_VARIABLE = "GENLAB_TEACHER_KEY"
LEAD, GUESSES, TEACHERS = "class_lead", "class_guesses", "class_teachers"
TEACHER_HOURS = 12.0  # a browser that typed the key stays the teacher this long (a school day), reloads included


def teacher_key_path() -> Path:
    return genlab_home() / "teacher_key"


def teacher_key() -> str:
    """The deployment's teacher key: the environment's, else the one in $GENLAB_HOME (made now if missing; every
    replica of one machine reads the same file)."""
    key = os.environ.get(TEACHER_KEY_VARIABLE, "").strip()
    if key:
        return key
    path = teacher_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # exactly one process makes it
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(12))
    except FileExistsError:
        pass
    for _ in range(50):  # another process made it a moment ago and may still be writing
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it and restart the server")


def key_matches(typed: str) -> bool:
    digest = hashlib.sha256(str(typed).strip().encode()).digest()
    return hmac.compare_digest(digest, hashlib.sha256(teacher_key().encode()).digest())


def visitor_owner(token: str) -> str:
    """The name a visitor's jobs and guesses are kept under: a digest of the browser's private cookie, so the store
    (and the teacher's list) never holds the cookie itself."""
    return "v-" + hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass
class Lead:
    """Where the teacher has the class: the page (its url_path), the lesson step (None outside a lesson)."""
    page: str
    lesson: str | None = None
    step: int | None = None
    revealed: bool = False
    seq: int = 0
    at: float = field(default_factory=time.time)

    def place(self) -> tuple:
        return self.page, self.lesson, self.step, self.revealed


class Classroom:
    def __init__(self, store=None):
        self.store = store or shared_store()

    # --- the lead ----------------------------------------------------------------------------------------------
    def lead(self) -> Lead | None:
        record = self.store.get(LEAD)
        return Lead(**record) if record else None

    def publish(self, page: str, lesson: str | None, step: int | None, revealed: bool) -> Lead:
        """The teacher is here now: a new lead (with the next sequence number) if the place changed."""
        current = self.lead()
        if current is not None and current.place() == (page, lesson, step, revealed):
            return current
        if lesson is not None and (current is None or (current.lesson, current.step) != (lesson, step)):
            self.clear_guesses(lesson, step)  # the class arrives at a step: its tally starts from nothing
        lead = Lead(page, lesson, step, revealed, seq=self.store.increment("class_lead_seq"))
        self.store.put(LEAD, asdict(lead))
        return lead

    def end(self) -> None:
        """The class is over: nobody follows any more (guesses stay until the teacher leads to that step again)."""
        self.store.drop(LEAD)

    # --- who is the teacher -------------------------------------------------------------------------------------
    # By visitor (the digest of a browser's private cookie, ui.classroom): a reload or a new tab of the browser that
    # typed the key is still the teacher, on any replica, until it leaves or TEACHER_HOURS pass.
    def make_teacher(self, visitor: str, hours: float = TEACHER_HOURS) -> None:
        self.store.put_field(TEACHERS, visitor, time.time() + hours * 3600)

    def is_teacher(self, visitor: str) -> bool:
        until = self.store.get_field(TEACHERS, visitor)
        return isinstance(until, (int, float)) and until > time.time()

    def drop_teacher(self, visitor: str) -> None:
        self.store.put_field(TEACHERS, visitor, 0)

    # --- predictions -------------------------------------------------------------------------------------------
    @staticmethod
    def _guesses(lesson: str, step: int) -> str:
        return f"{GUESSES}:{lesson}:{step}"

    def guess(self, lesson: str, step: int, visitor: str, choice: str | None) -> bool:
        """Record a visitor's guess; refused (False) once the teacher revealed this step."""
        lead = self.lead()
        if lead is not None and (lead.lesson, lead.step) == (lesson, step) and lead.revealed:
            return False
        self.store.put_field(self._guesses(lesson, step), visitor, choice)
        return True

    def tally(self, lesson: str, step: int) -> Counter:
        return Counter(c for c in self.store.fields(self._guesses(lesson, step)).values() if c is not None)

    def clear_guesses(self, lesson: str, step: int) -> None:
        self.store.drop(self._guesses(lesson, step))


class LeadBoard:
    """The lead's sequence number for a whole server process, so that thirty followers waiting on the teacher cost
    one store read every `every` seconds, not thirty script runs (app.py's GET /genlab/class/lead, which each
    follower's page long-polls: ui/follow_watch.js). Asyncio only: every waiter runs on the server's event loop, and
    the store is read off it, in a thread."""

    def __init__(self, classroom_factory=Classroom, every: float = 0.2):
        self.classroom_factory, self.every = classroom_factory, every
        self.seq: int | None = None
        self.read_at = float("-inf")
        self.reading = None  # the read in flight: every waiter of that moment awaits it

    def _read(self) -> int | None:
        lead = self.classroom_factory().lead()
        return lead.seq if lead else None

    async def current(self) -> int | None:
        """The sequence number at most `every` seconds old (None: no class is being led)."""
        import asyncio
        if self.reading is None and time.monotonic() - self.read_at >= self.every:
            self.read_at = time.monotonic()
            self.reading = asyncio.ensure_future(asyncio.to_thread(self._read))
            try:
                self.seq = await asyncio.shield(self.reading)  # shielded: one waiter leaving cancels no one's read
            finally:
                self.reading = None
        elif self.reading is not None:
            return await asyncio.shield(self.reading)
        return self.seq

    async def changed_from(self, seen: int | None, timeout: float = 20.0) -> int | None:
        """The sequence number once it differs from `seen`, or the unchanged one after `timeout` seconds (a long
        poll: the answer comes the moment the teacher moves, and an idle class costs one request per 20 s each)."""
        import asyncio
        deadline = time.monotonic() + timeout
        while True:
            seq = await self.current()
            if seq != seen or time.monotonic() >= deadline:
                return seq
            await asyncio.sleep(self.every / 2)
