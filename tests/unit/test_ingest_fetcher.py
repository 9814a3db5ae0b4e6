"""The ingest's page fetcher: HTTP on a worker thread, everything touching the session on the caller's."""

from __future__ import annotations

import json
import threading
from contextlib import closing

import pytest

from snowpark_procs import ingest
from snowpark_procs.ingest import PageFetcher, _Failed


def test_items_arrive_in_order_in_batches_of_at_most_most():
    fetcher = PageFetcher()
    started = threading.Event()

    def produce(put):
        started.wait(5)
        for i in range(7):
            put(i)

    with closing(fetcher.run(produce, most=3)) as batches:
        started.set()
        got = list(batches)
    assert [i for batch in got for i in batch] == list(range(7))
    assert all(1 <= len(batch) <= 3 for batch in got)


def test_calls_from_the_worker_run_on_the_callers_thread_with_value_and_error():
    fetcher = PageFetcher()
    caller = threading.get_ident()
    seen: list[object] = []

    def where() -> int:
        return threading.get_ident()

    def fail() -> None:
        raise KeyError("nope")

    def produce(put):
        seen.append(fetcher.on_session_thread(where))
        with pytest.raises(KeyError):
            fetcher.on_session_thread(fail)
        put("page")

    with closing(fetcher.run(produce)) as batches:
        assert [i for batch in batches for i in batch] == ["page"]
    assert seen == [caller]
    assert fetcher.on_session_thread(where) == caller  # on the caller's thread it runs at once


def test_a_worker_error_is_raised_after_the_items_before_it():
    fetcher = PageFetcher()
    release = threading.Event()

    def produce(put):
        put(1)
        put(2)
        release.wait(5)
        raise ValueError("bad page")

    got = []
    with pytest.raises(ValueError, match="bad page"), closing(fetcher.run(produce)) as batches:
        for batch in batches:
            got += batch
            release.set()
    assert got == [1, 2]


def test_an_error_queued_behind_items_comes_after_them():
    fetcher = PageFetcher()
    # as if the worker had fetched two pages and then failed before the reader looked
    for item in ("a", "b", _Failed(ValueError("late"))):
        fetcher._items.put(item)

    got = []
    with pytest.raises(ValueError, match="late"), closing(fetcher.run(lambda put: None)) as batches:
        for batch in batches:
            got.append(batch)
    assert got == [["a", "b"]]


def test_a_reader_that_stops_stops_the_worker_and_still_serves_its_calls():
    fetcher = PageFetcher()
    served: list[str] = []
    first_taken = threading.Event()
    finished = threading.Event()

    def produce(put):
        try:
            put("first")
            first_taken.wait(5)
            fetcher.on_session_thread(lambda: served.append("saved"))
            while True:
                put("more")
        finally:
            finished.set()

    batches = fetcher.run(produce)
    assert next(batches) == ["first"]
    first_taken.set()
    batches.close()
    assert finished.is_set()
    assert served == ["saved"]


def test_a_version_twice_in_one_write_is_sent_once():
    class Session:
        params: tuple = ()

        def sql(self, text, params):
            self.params = params
            return self

        def collect(self):
            return [(1,)]

    session = Session()
    record = {"id": 1, "user_id": 7, "start": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}
    assert ingest._write_bronze(session, "run", "cycle", "/v2/cycle", [record, dict(record)]) == 1
    (rows,) = session.params
    assert [row[5] for row in json.loads(rows)] == ["1"]
