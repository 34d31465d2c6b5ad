"""After-sale and mid-sale consultations per agent (SPEC §4 kinds, §11 metrics)."""

from datetime import timedelta

from domain.metrics import agent_row
from tests.scoring.recompute import recompute
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, order, t


def test_both_aftersale_and_midsale_counts_as_aftersale_only() -> None:
    # o1 placed and paid 11-01 (within 15 d of 11-11 10:00: after-sale); o2 created
    # 11-10 and still open at 11-11 10:00 (mid-sale too). SPEC §11: both -> after-sale.
    # aftersale_consultations 1, midsale_consultations 0, inquiries 0, consultations 1.
    f = derive(
        [
            order("paid", "o1", t("2026-11-01 09:00:00"), "10"),
            order("created", "o2", t("2026-11-10 09:00:00"), "20"),
            buyer(t("2026-11-11 10:00:00")),
            agent(t("2026-11-11 10:00:05")),
        ],
        FAR,
    )
    p = day_parts(f, "A", "2026-11-11")
    assert (p.consultations, p.inquiries) == (1, 0)
    assert (p.aftersale_consultations, p.midsale_consultations) == (1, 0)


def test_midsale_only_when_not_aftersale() -> None:
    # o1 created 11-11 09:00, unpaid at the 10:00 message -> mid-sale: midsale 1.
    # The next day (11-12 10:00) the order is paid 11-11 12:00 -> after-sale that day.
    f = derive(
        [
            order("created", "o1", t("2026-11-11 09:00:00"), "10"),
            buyer(t("2026-11-11 10:00:00")),
            order("paid", "o1", t("2026-11-11 12:00:00"), "10"),
            buyer(t("2026-11-12 10:00:00")),
        ],
        FAR,
    )
    d11, d12 = day_parts(f, "A", "2026-11-11"), day_parts(f, "A", "2026-11-12")
    assert (d11.midsale_consultations, d11.aftersale_consultations) == (1, 0)
    assert (d12.midsale_consultations, d12.aftersale_consultations) == (0, 1)
    assert (d11.inquiries, d12.inquiries) == (0, 0)


def test_presale_counts_in_neither_and_rows_show_both_metrics() -> None:
    # b1 pre-sale (no order); b2 after-sale with A (o9 paid 11-05); b3 mid-sale with A
    # (o8 created 11-11 08:00, open). Agent A on 11-11: consultations 3, inquiries 1,
    # aftersale 1, midsale 1 -> the /v1/metrics row shows both by name.
    at = t("2026-11-11 10:00:00")
    totals = recompute(
        [
            buyer(at, b="b1"),
            order("paid", "o9", t("2026-11-05 10:00:00"), "5", b="b2"),
            buyer(at, b="b2"),
            order("created", "o8", t("2026-11-11 08:00:00"), "5", b="b3"),
            buyer(at + timedelta(seconds=1), b="b3"),
        ]
    )
    row = agent_row(totals.agent_days[("s1", "A", at.date())])
    assert (row["consultations"], row["inquiries"]) == (3, 1)
    assert (row["aftersale_consultations"], row["midsale_consultations"]) == (1, 1)
