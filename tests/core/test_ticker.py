"""The in-process ticker runs deadline jobs at their intervals; one failing job does not stop the others."""
def test_the_ticker_runs_due_jobs_and_survives_a_failing_one(monkeypatch, db):
    from siaga.core import ticker

    calls = []
    monkeypatch.setattr(ticker, "JOBS", {"a.b": 5.0, "c.d": 60.0})
    monkeypatch.setattr(ticker, "_resolve", lambda path: (lambda: calls.append(path)) if path == "a.b"
                        else (lambda: 1 / 0))
    state = {}
    assert ticker.run_due(state, 100.0) == ["a.b"]  # c.d raised: logged, not run-recorded
    assert ticker.run_due(state, 103.0) == []
    assert ticker.run_due(state, 105.0) == ["a.b"]
    assert calls == ["a.b", "a.b"]
