from monitor.pipeline import JsonlSink, Run, RunRecorder, summary_lines
from monitor.results import Category, CheckResult, Verdict, read_jsonl


def test_record_round_trips_through_the_jsonl_sink(tmp_path):
    result = CheckResult(
        check="health",
        service="backend",
        path="/health/healthz",
        verdict=Verdict.FAIL,
        category=Category.BODY,
        message="m",
        duration_ms=12.5,
        url="https://api.example.com/health/healthz",
        details={"status": 200},
    )
    recorder = RunRecorder(Run(target="staging"), [JsonlSink(tmp_path / "r.jsonl")])
    recorder.add(result)
    recorder.close()
    [back] = read_jsonl(tmp_path / "r.jsonl")
    assert back == result
    assert back.id == "health:backend:/health/healthz"
    assert back.target == "staging" and back.run_id == recorder.run.run_id


def test_which_verdicts_count_as_up():
    assert [v for v in Verdict if v.ok] == [Verdict.PASS, Verdict.FLAKY, Verdict.WARN]


def test_summary_puts_the_worst_first():
    run = Run(target="t")
    run.results = [
        CheckResult(check="a", service="s", verdict=Verdict.PASS, message="fine"),
        CheckResult(check="b", service="s", verdict=Verdict.FAIL, message="broken"),
    ]
    lines = summary_lines(run)
    assert lines[0] == "Slurpy monitor: target t: 2 checks: 1 pass, 1 fail"
    assert lines[1] == "requests sent: none recorded"  # what the run cost the target, always stated
    assert "FAIL" in lines[2] and "broken" in lines[2] and "PASS" in lines[3]
