from monitor.results import Category, CheckResult, Verdict, read_jsonl, write_jsonl


def test_record_round_trips_through_jsonl(tmp_path):
    result = CheckResult(check="health", service="backend", path="/health/healthz", target="staging",
                         verdict=Verdict.FAIL, category=Category.BODY, message="m", latency_ms=12.5,
                         url="https://api.example.com/health/healthz", details={"status": 200})
    write_jsonl(tmp_path / "r.jsonl", [result])
    [back] = read_jsonl(tmp_path / "r.jsonl")
    assert back == result
    assert back.id == "health:backend:/health/healthz"


def test_which_verdicts_count_as_up():
    assert [v for v in Verdict if v.ok] == [Verdict.PASS, Verdict.FLAKY, Verdict.WARN]
