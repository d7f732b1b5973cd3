"""etl.pipeline without a warehouse: SegmentWriter (writes run one at a time, in order, on another thread, no error
lost), records to frames, and the collector setting a pull runs under."""

import threading

import pytest

from etl.pipeline import SegmentWriter


def test_writes_run_in_order_on_another_thread_while_the_caller_goes_on() -> None:
    written, threads = [], set()
    release = threading.Event()

    def write(segment) -> None:
        if segment == 1:
            assert release.wait(5)  # held until the caller has moved on to preparing segment 2
        threads.add(threading.current_thread().name)
        written.append(segment)

    with SegmentWriter() as writer:
        writer.submit(write, 1)
        assert written == []  # submit returned while segment 1 was still being written
        release.set()
        writer.submit(write, 2)  # waits for segment 1 first
        assert written == [1]
        writer.submit(write, 3)
    assert written == [1, 2, 3]
    assert len(threads) == 1 and threading.current_thread().name not in threads


def test_a_failed_write_is_raised_by_the_next_submit_and_nothing_after_it_is_written() -> None:
    written = []

    def write(segment) -> None:
        if segment == 2:
            raise OSError("disk full")
        written.append(segment)

    with pytest.raises(OSError, match="disk full"), SegmentWriter() as writer:
        for segment in (1, 2, 3, 4):
            writer.submit(write, segment)
    assert written == [1]


def test_a_failed_last_write_is_raised_on_leaving_the_block() -> None:
    def write(segment) -> None:
        raise OSError("commit failed")

    with pytest.raises(OSError, match="commit failed"), SegmentWriter() as writer:
        writer.submit(write, 1)


def test_a_caller_failing_waits_for_the_write_in_flight_and_its_own_error_is_raised(caplog) -> None:
    finished = []
    started = threading.Event()

    def slow_write(segment) -> None:
        started.set()
        threading.Event().wait(0.2)
        finished.append(segment)

    with pytest.raises(ValueError, match="bad page"), SegmentWriter() as writer:
        writer.submit(slow_write, 1)
        assert started.wait(5)
        raise ValueError("bad page")
    assert finished == [1]  # the segment in flight committed before the caller's failure went on

    def failing_write(segment) -> None:
        raise OSError("lost connection")

    with pytest.raises(ValueError, match="bad page"), SegmentWriter() as writer:
        writer.submit(failing_write, 1)
        raise ValueError("bad page")
    assert "a segment write failed as well" in caplog.text  # logged, not lost


def test_a_pull_runs_the_cycle_collector_less_often_and_restores_its_threshold() -> None:
    import gc

    from etl import pipeline

    default = gc.get_threshold()
    with pipeline._fewer_collections():
        assert gc.get_threshold()[0] == 100_000
    assert gc.get_threshold() == default
    with pytest.raises(RuntimeError), pipeline._fewer_collections():
        raise RuntimeError("a failed pull")
    assert gc.get_threshold() == default


@pytest.mark.parametrize("extra", [{}, {"score": 7}, {"nested": {"a": "b"}}])
def test_records_become_a_frame_of_their_fields_whatever_their_values(extra) -> None:
    """Text-only records take Arrow's one-pass conversion, others the field-by-field one: the same frame."""
    import pandas as pd

    from etl import pipeline

    records = [{"id": "1", "note": "路面破损", "raw": {"id": "1", "caller_phone": "x"}},
               {"id": "2", "raw": {"id": "2"}, "late": "只在这条"},
               {"id": "3", "note": None, "raw": {}, **extra}]
    frame = pipeline._records_frame(records)
    assert list(frame.columns) == ["id", "note", "late", *extra]
    assert frame["id"].tolist() == ["1", "2", "3"] and frame["late"].isna().tolist() == [True, False, True]
    assert frame["note"].iloc[0] == "路面破损" and pd.isna(frame["note"].iloc[1]) and pd.isna(frame["note"].iloc[2])
    for key, value in extra.items():
        assert frame[key].iloc[2] == value and pd.isna(frame[key].iloc[0])
