"""Sessions, questions, responses, message counts (SPEC §4, §5)."""

from datetime import timedelta

from tests.scoring.incremental import IncrementalScorer
from tests.scoring.recompute import recompute
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, t


def test_gap_of_exactly_1800_seconds_keeps_one_session() -> None:
    # buyer 10:00:00, agent 10:30:00 -> gap 1800 s is not > 1800 -> one session;
    # the question is answered in 1800 s.
    f = derive([buyer(t("2026-11-11 10:00:00")), agent(t("2026-11-11 10:30:00"))], FAR)
    assert len(f.sessions) == 1
    p = day_parts(f, "A", "2026-11-11")
    assert (p.sessions, p.responses, p.response_us_sum) == (1, 1, 1_800_000_000)


def test_gap_of_1800_001_seconds_splits() -> None:
    # agent 10:30:00.001 is 1800.001 s later -> second session. Session 1: an unanswered
    # question; session 2: agent only. responses = 0; sessions = 2.
    f = derive([buyer(t("2026-11-11 10:00:00")), agent(t("2026-11-11 10:30:00", 0.001))], FAR)
    assert len(f.sessions) == 2
    p = day_parts(f, "A", "2026-11-11")
    assert (p.sessions, p.responses, p.unreplied_buyers) == (2, 0, 1)
    # QA: session 1 costs closing_by_agent 5 + unanswered 5 -> 90; session 2 is clean -> 100.
    assert [s.qa.score for s in f.sessions if s.qa] == [90, 100]
    assert p.qa_score_sum == 190


def test_session_crossing_midnight_counts_on_first_day_and_response_on_question_day() -> None:
    # Session starts 23:50 on 11-11. Q1 23:50 -> 23:50:10 (10 s); Q2 at 00:05 on 11-12
    # (follows the agent) -> 00:06 (60 s, slow). Response of Q2 counts on 11-12; the QA
    # slow_reply violation counts on the session's day, 11-11.
    # Gap 23:50:10 -> 00:05 is 14m50s -> same session.
    f = derive(
        [
            buyer(t("2026-11-11 23:50:00")),
            agent(t("2026-11-11 23:50:10")),
            buyer(t("2026-11-12 00:05:00")),
            agent(t("2026-11-12 00:06:00")),
        ],
        FAR,
    )
    d1, d2 = day_parts(f, "A", "2026-11-11"), day_parts(f, "A", "2026-11-12")
    assert (d1.sessions, d1.responses, d1.response_us_sum, d1.slow_responses) == (1, 1, 10**7, 0)
    assert (d2.sessions, d2.responses, d2.response_us_sum, d2.slow_responses) == (
        0,
        1,
        6 * 10**7,
        1,
    )
    assert (d1.v_slow_reply, d2.v_slow_reply) == (1, 0)
    assert (d1.qa_sessions, d1.qa_score_sum) == (1, 98)  # 100 - 2 (one slow reply)
    # Messages on their own day: 1 buyer + 1 agent each day. Consultations by message day:
    # one on each day, both replied.
    assert (d1.buyer_messages, d1.agent_messages, d2.buyer_messages, d2.agent_messages) == (
        1,
        1,
        1,
        1,
    )
    assert (d1.consultations, d2.consultations, d1.unreplied_buyers + d2.unreplied_buyers) == (
        1,
        1,
        0,
    )
    # First response: to the session's first question, on its day (11-11).
    assert (d1.first_responses, d1.first_response_us_sum, d2.first_responses) == (1, 10**7, 0)


def test_response_to_2359_question_counts_on_question_day() -> None:
    # Q at 23:59:00 on 11-11 answered at 00:00:40 on 11-12: 100 s, counted on 11-11.
    f = derive([buyer(t("2026-11-11 23:59:00")), agent(t("2026-11-12 00:00:40"))], FAR)
    d1, d2 = day_parts(f, "A", "2026-11-11"), day_parts(f, "A", "2026-11-12")
    assert (d1.responses, d1.response_us_sum, d1.slow_responses) == (1, 10**8, 1)
    assert (d2.responses, d2.agent_messages) == (0, 1)


def test_questions_first_response_and_non_question_buyer_messages() -> None:
    # agent greets 10:00:00; buyer 10:01:00 = first buyer message = Q1; agent 10:01:20
    # (20 s, first response); buyer 10:02:00 = Q2 (follows agent); buyer 10:02:30 follows a
    # buyer message -> not a question; agent 10:03:00 answers Q2 in 60 s (slow).
    f = derive(
        [
            agent(t("2026-11-11 10:00:00")),
            buyer(t("2026-11-11 10:01:00")),
            agent(t("2026-11-11 10:01:20")),
            buyer(t("2026-11-11 10:02:00")),
            buyer(t("2026-11-11 10:02:30")),
            agent(t("2026-11-11 10:03:00")),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-11")
    assert (p.responses, p.response_us_sum, p.slow_responses) == (2, 80 * 10**6, 1)
    assert (p.first_responses, p.first_response_us_sum) == (1, 20 * 10**6)
    assert (p.buyer_messages, p.agent_messages) == (3, 3)
    assert len(f.sessions[0].questions) == 2


def test_bot_system_and_unassigned_messages_are_ignored() -> None:
    # buyer 10:00 (Q1); bot auto-reply 10:00:05 ignored; agent 10:00:40 -> 40 s.
    # buyer 10:01 follows the agent -> Q2; a system notice 10:01:10 ignored; buyer 10:01:20
    # follows a buyer message in the session -> not a question; agent 10:02 -> Q2 in 60 s.
    # An unassigned buyer message (agent_id null) at 09:00 counts nowhere.
    f = derive(
        [
            buyer(t("2026-11-11 09:00:00"), agent=None),
            buyer(t("2026-11-11 10:00:00")),
            agent(t("2026-11-11 10:00:05"), sender="bot"),
            agent(t("2026-11-11 10:00:40")),
            buyer(t("2026-11-11 10:01:00")),
            agent(t("2026-11-11 10:01:10"), agent=None, sender="system"),
            buyer(t("2026-11-11 10:01:20")),
            agent(t("2026-11-11 10:02:00")),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-11")
    assert (p.responses, p.response_us_sum) == (2, 100 * 10**6)
    assert (p.buyer_messages, p.agent_messages, p.sessions, p.consultations) == (3, 2, 1, 1)
    assert f.sessions[0].first_at == t("2026-11-11 10:00:00")  # 09:00 unassigned not in it
    assert list(f.agent_days) == [("A", t("2026-11-11 00:00:00").date())]


def test_bot_and_unassigned_messages_advance_the_watermark_and_close_sessions() -> None:
    # b1 talks with A until 10:01 (a 20 s answer, clean QA). A bot message to b2 at
    # 10:31:00.000001 (> 30 min after 10:01) moves the shop watermark and closes b1's
    # session, so it is QA-scored.
    scorer = IncrementalScorer()
    scorer.apply_batch([buyer(t("2026-11-11 10:00:40")), agent(t("2026-11-11 10:01:00"))])
    key = ("s1", "A", t("2026-11-11 00:00:00").date())
    assert scorer.totals.agent_days[key].qa_sessions == 0
    scorer.apply_batch([agent(t("2026-11-11 10:31:00", 0.000001), sender="bot", b="b2")])
    assert (
        scorer.totals.agent_days[key].qa_sessions,
        scorer.totals.agent_days[key].qa_score_sum,
    ) == (1, 100)
    # An unassigned buyer message moves it too (exactly 30 min is not enough to close).
    s2 = IncrementalScorer()
    s2.apply_batch([buyer(t("2026-11-11 10:00:00")), agent(t("2026-11-11 10:01:00"))])
    s2.apply_batch([buyer(t("2026-11-11 10:31:00"), agent=None, b="b3")])
    assert s2.totals.agent_days[key].qa_sessions == 0
    s2.apply_batch([buyer(t("2026-11-11 10:31:00", 0.001), agent=None, b="b3")])
    assert s2.totals.agent_days[key].qa_sessions == 1


def test_sessions_are_per_agent() -> None:
    # The buyer talks to A and B interleaved: one session each; responses per agent.
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00"), agent="A"),
            buyer(t("2026-11-11 10:00:01"), agent="B"),
            agent(t("2026-11-11 10:00:11"), agent="B"),
            agent(t("2026-11-11 10:00:20"), agent="A"),
        ],
        FAR,
    )
    a, b = day_parts(f, "A", "2026-11-11"), day_parts(f, "B", "2026-11-11")
    assert (a.sessions, a.response_us_sum, b.sessions, b.response_us_sum) == (
        1,
        20 * 10**6,
        1,
        10**7,
    )


def test_late_message_merges_sessions_and_moves_every_number() -> None:
    # 10:00 buyer (Q), 10:00:20 agent, 11:00 buyer (59m40s later: new session, Q,
    # unanswered). A late buyer message at 10:30 merges them (gaps 29m40s and exactly 30 min):
    # 10:30 follows the agent -> question; 11:00 now follows a buyer message -> not a question.
    early = [
        buyer(t("2026-11-11 10:00:00")),
        agent(t("2026-11-11 10:00:20")),
        buyer(t("2026-11-11 11:00:00")),
    ]
    late = buyer(t("2026-11-11 10:30:00"))
    far = agent(FAR, b="b9", sender="system")  # closes everything
    scorer = IncrementalScorer()
    scorer.apply_batch([*early, far])
    key = ("s1", "A", t("2026-11-11 00:00:00").date())
    assert scorer.totals.agent_days[key].sessions == 2
    assert scorer.totals.agent_days[key].v_unanswered == 1
    scorer.apply_batch([late])
    p = scorer.totals.agent_days[key]
    # One session: Q 10:00 answered in 20 s, Q 10:30 unanswered (-5), last message is the
    # buyer's (-5) -> 90.
    assert (p.sessions, p.qa_sessions, p.v_unanswered, p.v_closing_by_agent, p.qa_score_sum) == (
        1,
        1,
        1,
        1,
        90,
    )
    assert scorer.totals == recompute([*early, late, far])


def test_duplicate_events_are_deduped() -> None:
    m = buyer(t("2026-11-11 10:00:00"))
    f = derive([m, m, agent(t("2026-11-11 10:00:10"))], FAR)
    assert day_parts(f, "A", "2026-11-11").buyer_messages == 1


def test_equal_timestamps_order_by_event_id() -> None:
    # Same instant: event_id decides. "m1" (agent) < "m2" (buyer) -> the buyer message is
    # after the agent's, unanswered, and the session ends with the buyer.
    at = t("2026-11-11 10:00:00")
    f = derive([buyer(at, eid="m2"), agent(at, eid="m1")], FAR)
    s = f.sessions[0]
    assert s.message_ids == ("m1", "m2")
    assert s.qa is not None and {v.rule for v in s.qa.violations} == {
        "closing_by_agent",
        "unanswered",
    }


def test_wake_at_is_last_message_plus_gap_for_open_sessions() -> None:
    f = derive([buyer(t("2026-11-11 10:00:00")), agent(t("2026-11-11 10:00:05"))])
    # Open session -> 10:00:05 + 30 min; the inquiry's window ends later (10:00 + 72 h).
    assert f.wake_at == t("2026-11-11 10:30:05")
    assert not f.sessions[0].closed
    closed = derive(
        [buyer(t("2026-11-11 10:00:00")), agent(t("2026-11-11 10:00:05"))],
        t("2026-11-11 10:30:05") + timedelta(microseconds=1),
    )
    # Closed now: only the pending inquiry is left, lost once watermark > 10:00 + 72 h.
    assert closed.sessions[0].closed and closed.wake_at == t("2026-11-14 10:00:00")
