"""A follower's wait on the teacher (gen_core.classroom.LeadBoard behind app.py's GET /genlab/class/lead): the
answer comes as soon as the lead moves, an unchanged lead is answered as unchanged, and however many followers wait,
the store is read once per interval, not once per follower."""
import asyncio
import json
import time

import pytest

from gen_core.classroom import Classroom, LeadBoard


class CountingClassroom(Classroom):
    reads = 0

    def lead(self):
        CountingClassroom.reads += 1
        return super().lead()


@pytest.fixture
def board(home):
    CountingClassroom.reads = 0
    return LeadBoard(CountingClassroom, every=0.05)


def test_no_class_and_an_unchanged_lead_are_answered_as_they_are(board):
    assert asyncio.run(board.changed_from(None, timeout=0.2)) is None
    lead = Classroom().publish("gan_studio", None, None, False)
    time.sleep(2 * board.every)  # the board's value may be this old
    assert asyncio.run(board.changed_from(lead.seq, timeout=0.2)) == lead.seq


def test_a_waiting_follower_hears_of_the_teachers_next_step(board):
    first = Classroom().publish("gan_studio", "gan", 0, False)

    async def wait_while_the_teacher_moves():
        waiting = asyncio.create_task(board.changed_from(first.seq, timeout=30))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # nothing changed yet: the request is still open
        moved = await asyncio.to_thread(Classroom().publish, "gan_studio", "gan", 1, False)
        return moved, await waiting

    moved, answer = asyncio.run(wait_while_the_teacher_moves())
    assert answer == moved.seq > first.seq


def test_thirty_waiting_followers_share_each_read_of_the_store(board):
    lead = Classroom().publish("gan_studio", None, None, False)

    async def thirty():
        return await asyncio.gather(*(board.changed_from(lead.seq, timeout=0.5) for _ in range(30)))

    assert asyncio.run(thirty()) == [lead.seq] * 30
    # 0.5 s at one read per 0.05 s: about 10 reads, where one read per follower per look would be 300
    assert CountingClassroom.reads <= 15


def test_the_route_answers_json_and_refuses_a_bad_after_in_one_line(home):
    from starlette.requests import Request

    import app

    def get(query: str):
        request = Request({"type": "http", "method": "GET", "path": "/genlab/class/lead", "headers": [],
                           "query_string": query.encode()})
        answer = asyncio.run(app.class_lead(request))
        return answer.status_code, json.loads(answer.body)

    lead = Classroom().publish("home", None, None, False)
    assert get("") == (200, {"seq": lead.seq})  # no "after": the current lead at once
    assert get("after=one") == (400, {"error": "after must be a whole number"})
