"""Redis killed, restarted, frozen or refusing us, under a real ``crampbot chat`` process."""

from __future__ import annotations

from collections.abc import Callable

import redis

from tests.faults.chat import NOT_SAVED, Chat, asked, no_traceback
from tests.faults.conftest import RedisServer


def test_answer_is_asked_again_and_kept_when_redis_is_killed_and_restarted(
    chats: Callable[..., Chat],
    redis_server: RedisServer,
) -> None:
    chat = chats(redis_server.url)
    assert asked(chat.answer(2)) == "when"
    redis_server.kill()
    assert chat.say("walking_relieved") == [{"type": "error", "text": NOT_SAVED}]
    assert chat.say("")[-1] == {"type": "error", "text": NOT_SAVED}  # shows the question
    redis_server.start()  # the pooled connections are stale now
    turn = chat.say("walking_relieved")
    assert asked(turn) == "duration"  # the first two answers were kept, the third saved once
    code, errors = chat.end()
    assert code == 0
    no_traceback(errors)
    lines = errors.splitlines()
    assert len(lines) == 2 and all("ERROR" in line or "error" in line for line in lines), errors
    assert all("cannot be reached" in line and "fix:" in line for line in lines), errors


def test_answer_is_asked_again_when_redis_hangs(
    chats: Callable[..., Chat], redis_server: RedisServer
) -> None:
    chat = chats(redis_server.url)
    assert asked(chat.answer(1)) == "where"
    redis_server.freeze()
    try:
        assert chat.say("calf") == [{"type": "error", "text": NOT_SAVED}]
    finally:
        redis_server.thaw()
    assert asked(chat.say("calf")) == "when"
    code, errors = chat.end()
    assert code == 0
    no_traceback(errors)
    assert "did not answer" in errors and errors.count("\n") == 1, errors


def test_chat_exits_2_with_one_line_when_redis_refuses_our_commands(
    chats: Callable[..., Chat],
    redis_server: RedisServer,
) -> None:
    chat = chats(redis_server.url)
    assert asked(chat.answer(1)) == "where"
    redis.Redis(port=redis_server.port).replicaof("127.0.0.1", "1")  # writes now refused
    assert chat.say("calf") == []  # the process stopped
    code, errors = chat.end()
    assert code == 2
    no_traceback(errors)
    assert errors.startswith("crampbot: error: CRAMPBOT_STORE:") and "refuses" in errors
    assert errors.count("\n") == 1, errors
