"""Slurpy under load: Locust users that model its real traffic, read from the target profile, and
the verdict at the end (a table, CheckResult records, the exit code).

``./run load`` (``slurpy-load``) is the usual way in: it starts the sandbox, checks the budget
rules, passes the live profile and starts the workers. On machines that only hold the repository
and the secrets, Locust's own command works the same way:
``SLURPY_TARGET=staging locust -f load/locustfile.py --headless -u 20 -t 5m [--master|--worker]``.

Traffic: visitors read public pages; pollers watch every health endpoint; signed-in people open
chat and send messages at a human pace, all of them together under the chat route's per-user
rate limit (one account); others look at their plans. Every answer is validated, not counted.
Each request is named ``<kind>:<service> <path>``, its group (see monitor/analysers/load.py).
"""

from __future__ import annotations

import functools
import os
import random
import re
import signal
import ssl
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import gevent
import psutil
from locust import FastHttpUser, between, constant, events, task
from locust import runners as locust_runners
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner
from shapes import RunShape  # load/shapes.py: Locust puts this folder on sys.path

from monitor.analysers.health import judge_health
from monitor.analysers.load import GroupStats, bounds_refusal, budget_refusal, chat_spacing_s, group_of, judge_group
from monitor.analysers.ndjson import read_stream
from monitor.load.plan import CapacitySearch, StepRamp
from monitor.load.records import capacity_record, generator_record, group_record, stage_table, table
from monitor.pipeline import JsonlSink, Run, RunRecorder
from monitor.profile import (
    HealthEndpoint,
    MissingSecret,
    Profile,
    ProfileError,
    Secrets,
    load_profile,
    request_headers,
    resolve_target_name,
    url_overrides_from_env,
)
from monitor.results import CheckResult, Verdict

PROFILE_ENV = "SLURPY_LOAD_PROFILE"  # a live profile as JSON, written by slurpy-load (the sandbox's URLs and CA)
RUN_ID_ENV = "SLURPY_LOAD_RUN_ID"
CPU_SAMPLE_S = 2.0  # Locust samples every 10 s: a short run would never be looked at
LAG_TICK_S = 0.1
# Workers report every 3 s by default; a master judging windows of a few seconds needs fresher numbers.
locust_runners.WORKER_REPORT_INTERVAL = 1.0
SCENARIO_BUG = "scenario:429"  # request-name prefix for 429s the scenario provoked itself: kept out of every group
EXIT = {"pass": 0, "fail": 1, "refused": 2, "inconclusive": 3}


@dataclass
class LoadRun:
    profile: Profile
    mode: str
    run_id: str
    max_users: int
    max_duration_s: float
    results: Path
    account: tuple[str, str] | None = None
    health: list[tuple[str, HealthEndpoint]] = field(default_factory=list)
    groups: set[tuple[str, str]] = field(default_factory=set)  # every group this run's scenarios make
    notes: list[str] = field(default_factory=list)
    schedule: StepRamp | CapacitySearch | None = None
    chat_spacing_s: float | None = None
    next_chat: float = 0.0
    generator: dict[str, dict[str, float]] = field(default_factory=dict)  # per process: peak CPU %, loop lag ms
    workers_missing: set[str] = field(default_factory=set)
    fewest_workers: int | None = None
    started: float = field(default_factory=time.monotonic)
    records: list[CheckResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


RUN: LoadRun | None = None


def _run() -> LoadRun:
    assert RUN is not None, "the load run is configured by Locust's init event"
    return RUN


# -- the users --------------------------------------------------------------------------------
class SlurpyUser(FastHttpUser):
    abstract = True

    def url(self, service: str, path: str) -> str:
        return _run().profile.services[service].url(path)

    def page(self, path: str) -> None:
        """An HTML page as a browser asks for it; a redirect (to sign-in) is a failure, not a page."""
        with self.client.get(
            self.url("frontend", path), name=f"pages:frontend {path}", allow_redirects=False, catch_response=True
        ) as answer:
            if not answer.status_code:
                answer.failure(f"no answer: {answer.error}")
            elif answer.status_code != 200:
                where = answer.headers.get("location") if answer.headers else None
                answer.failure(f"expected 200, got {answer.status_code}" + (f" (to {where})" if where else ""))
            elif "text/html" not in (answer.headers.get("content-type") or ""):
                answer.failure(f"expected text/html, got {answer.headers.get('content-type')}")
            else:
                answer.success()


class Visitor(SlurpyUser):
    """Someone reading the public pages."""

    @task
    def read_a_page(self) -> None:
        self.page(random.choice(_run().profile.load.public_pages))


class HealthPoller(SlurpyUser):
    """An uptime monitor or load balancer: every health endpoint, judged by its body."""

    @task
    def poll(self) -> None:
        for service, endpoint in _run().health:
            with self.client.get(
                self.url(service, endpoint.path), name=f"api:{service} {endpoint.path}", catch_response=True
            ) as answer:
                if not answer.status_code:
                    answer.failure(f"no answer: {answer.error}")
                    continue
                headers = dict(answer.headers.items() if answer.headers else ())
                verdict = judge_health(endpoint, answer.status_code, headers, answer.content or b"")
                answer.success() if verdict.ok else answer.failure(verdict.describe())


class SignedInUser(SlurpyUser):
    abstract = True
    signed_in = False

    def on_start(self) -> None:
        self.sign_in()

    def sign_in(self) -> bool:
        run = _run()
        path = run.profile.load.sign_in_path
        assert path and run.account, "signed-in scenarios run only with a sign-in path and an account"
        email, password = run.account
        with self.client.post(
            self.url("frontend", path),
            json={"identifier": email, "password": password},
            name=f"api:frontend {path}",
            catch_response=True,
        ) as answer:
            self.signed_in = answer.status_code == 200
            answer.success() if self.signed_in else answer.failure(
                f"sign-in answered {answer.status_code or answer.error}"
            )
        return self.signed_in

    def api_headers(self) -> dict[str, str]:
        """What the chat page sends on a write route: the session's bearer token, the CSRF pair and
        a same-site Origin (Slurpy's write routes are sign-in first, then CSRF)."""
        run = _run()
        cookies = {cookie.name: cookie.value or "" for cookie in self.client.cookiejar}
        auth = run.profile.auth
        headers = {
            "Authorization": f"Bearer {cookies.get(run.profile.load.token_cookie, '')}",
            "Origin": auth.origin or self.url("frontend", ""),
        }
        if auth.csrf_cookie and auth.csrf_header and auth.csrf_cookie in cookies:
            headers[auth.csrf_header] = cookies[auth.csrf_cookie]
        return headers


class ChatUser(SignedInUser):
    """Opens chat and sends a message, then reads and thinks; paced with every other chat user."""

    @task
    def chat(self) -> None:
        run = _run()
        if not (self.signed_in or self.sign_in()):
            return
        self.page(run.profile.load.chat_page)
        _wait_for_chat_turn(run)
        path = run.profile.journeys.chat_stream_path
        body = {**run.profile.load.chat_body, "session_id": f"load-{run.run_id}-{id(self):x}"}
        with self.client.post(
            self.url("frontend", path),
            json=body,
            name=f"chat:frontend {path}",
            headers=self.api_headers(),
            catch_response=True,
        ) as answer:
            if not answer.status_code:
                answer.failure(f"no answer: {answer.error}")
                return
            report = (
                read_stream(answer.text or "", run.profile.journeys.chat_fallback)
                if answer.status_code == 200
                else None
            )
            if answer.status_code == 429 or (report is not None and report.error == "rate_limited"):
                # Paced under the limit: a 429 here is the scenario's own bug, not the target's.
                answer.request_meta["name"] = f"{SCENARIO_BUG} {path}"
                answer.failure("rate limited although the chat users are paced under the route's limit")
            elif report is None:
                answer.failure(f"expected 200, got {answer.status_code}")
            elif not report.ok:
                answer.failure(report.describe())
            else:
                answer.success()


class PlansViewer(SignedInUser):
    """Someone signed in, looking at the plans page."""

    @task
    def plans(self) -> None:
        if self.signed_in or self.sign_in():
            self.page(_run().profile.load.plans_page)


SCENARIOS = {"visitor": Visitor, "health": HealthPoller, "chat": ChatUser, "plans": PlansViewer}


def _wait_for_chat_turn(run: LoadRun) -> None:
    """Chat turns in this process are spaced so that every chat user of every process, on one
    account, stays under the route's limit. The slot is taken before sleeping (no other greenlet
    runs in between), so no two users share one."""
    if run.chat_spacing_s is None:
        return
    now = time.monotonic()
    slot = max(now, run.next_chat)
    run.next_chat = slot + run.chat_spacing_s
    gevent.sleep(slot - now)


# -- set-up -------------------------------------------------------------------------------------
@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument(
        "--slurpy-mode",
        choices=["gate", "step", "capacity"],
        default="gate",
        help="gate: hold --users for --run-time and judge; step: ramp to --users; capacity: search",
    )
    parser.add_argument(
        "--spend-budget",
        action="store_true",
        default=False,
        help="consent to spend a sensitive target's budget (its profile must allow it too)",
    )
    parser.add_argument("--results", default=None, help="JSON-lines file for this run's records")
    parser.add_argument("--max-users", type=int, default=None, help="lower the profile's bound on users")
    parser.add_argument("--max-duration", type=float, default=None, help="lower the profile's bound on seconds")


def _refuse(message: str) -> NoReturn:
    print(f"slurpy load: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT["refused"])


def _profile() -> Profile:
    if os.environ.get(PROFILE_ENV):
        return Profile.model_validate_json(Path(os.environ[PROFILE_ENV]).read_text(encoding="utf-8"))
    profile = load_profile(resolve_target_name(None), url_overrides=url_overrides_from_env(os.environ))
    if profile.sandbox:
        raise ProfileError([f"target {profile.name} is the sandbox: run it through `./run load`, which starts it"])
    return profile


def _seconds(value) -> float | None:
    return float(value) if value else None


@events.init.add_listener
def _configure(environment: Environment, **_) -> None:
    global RUN
    options = environment.parsed_options
    try:
        profile = _profile()
    except ProfileError as exc:
        _refuse("bad target profile:\n  " + "\n  ".join(exc.lines))
    where = f"targets/{profile.name}.toml"
    refusal = budget_refusal(profile, options.spend_budget, where)
    if refusal:
        _refuse(refusal)
    policy = profile.load
    refusal = bounds_refusal(
        profile,
        options.slurpy_mode,
        options.num_users,
        _seconds(options.run_time),
        options.max_users,
        options.max_duration,
        where,
    )
    if refusal:
        _refuse(refusal)
    max_users, max_duration = options.max_users or policy.max_users, options.max_duration or policy.max_duration_s
    users, run_time = options.num_users or policy.users, _seconds(options.run_time) or policy.run_time_s
    started = datetime.now(UTC)
    RUN = run = LoadRun(
        profile=profile,
        mode=options.slurpy_mode,
        max_users=max_users,
        max_duration_s=max_duration,
        run_id=os.environ.get(RUN_ID_ENV) or f"{started:%Y%m%dT%H%M%SZ}",
        results=Path(options.results or f"results/{started:%Y%m%dT%H%M%SZ}-{profile.name}-load.jsonl"),
    )
    polled = policy.health_services or list(profile.services)
    run.health = [(s, e) for s in polled for e in profile.services[s].health]
    weights = dict(policy.weights)
    if weights.get("chat") or weights.get("plans"):
        if not policy.sign_in_path:
            run.notes.append(f"chat and plans not run: {where} sets no [load] sign_in_path")
        else:
            try:
                secrets = Secrets(profile)
                run.account = (secrets.get("monitor_email"), secrets.get("monitor_password"))
            except MissingSecret as exc:  # as in the suites: skipped with the variable's name locally, fatal in CI
                if exc.fatal:
                    _refuse(str(exc))
                run.notes.append(f"chat and plans not run: {exc}")
        if run.account is None:
            weights.update(chat=0, plans=0)
    try:  # a protected target answers nothing but 401 without its bypass header: no run, whatever the place
        extra_headers = request_headers(profile, Secrets(profile))
    except MissingSecret as exc:
        _refuse(f"[request] headers: {exc}")
    for name, user in SCENARIOS.items():
        user.weight = weights.get(name, 0)
        user.host = profile.services["frontend" if "frontend" in profile.services else polled[0]].base_url
        user.network_timeout = user.connection_timeout = profile.timeout_s
        user.insecure = False
        user.ssl_context_factory = staticmethod(functools.partial(_trust, profile.tls.ca_bundle))
        user.default_headers = {
            **extra_headers,
            "User-Agent": f"{profile.user_agent_header} load",
            profile.traffic_header: f"load {run.run_id}",
        }
        user.wait_time = between(*policy.think_time_s)
    HealthPoller.wait_time = constant(policy.health_interval_s)
    run.groups = _groups(run, weights)
    if not any(weights.values()):
        _refuse(f"every scenario's weight is 0 in {where} [load] weights: nothing to run")
    gevent.spawn(_watch_generator, environment)
    if isinstance(environment.runner, WorkerRunner):
        return
    # Headless with a shape, Locust installs its SIGTERM handler only once the shape has ended;
    # until then SIGTERM (docker stop, a Kubernetes pod ending) would kill the master silently.
    # Ctrl-C's path stops the users and workers and still judges what was measured.
    signal.signal(signal.SIGTERM, _interrupt)
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message("slurpy_generator", _worker_sample)
        gevent.spawn(_watch_workers, environment)
    spawn_rate = options.spawn_rate or policy.spawn_rate

    def snapshot() -> dict[str, GroupStats]:
        return _group_stats(environment, run.groups)

    if run.mode == "capacity":
        run.schedule = CapacitySearch(
            start=policy.capacity_start_users,
            step=policy.capacity_step_users,
            stage_s=policy.capacity_stage_s,
            settle_s=policy.settle_s,
            max_users=max_users,
            max_duration_s=max_duration,
            spawn_rate=spawn_rate,
            thresholds=policy.thresholds,
            snapshot=snapshot,
        )
    else:
        step = policy.step_users if run.mode == "step" else users
        run.schedule = StepRamp(users, step, policy.step_s, run_time, spawn_rate, policy.settle_s, snapshot)
    RunShape.schedule = run.schedule


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _trust(ca_bundle: str | None, **_certifi) -> ssl.SSLContext:
    """The profile's trust store (or the system's), as the probe trusts: geventhttpclient would
    hand in certifi's bundle, which knows neither a private CA nor the system's additions."""
    return ssl.create_default_context(cafile=ca_bundle)


def _groups(run: LoadRun, weights: dict[str, int]) -> set[tuple[str, str]]:
    groups = set()
    if weights.get("visitor") or weights.get("chat") or weights.get("plans"):
        groups.add(("pages", "frontend"))
    if weights.get("health"):
        groups |= {("api", service) for service, _ in run.health}
    if weights.get("chat") or weights.get("plans"):
        groups.add(("api", "frontend"))
    if weights.get("chat"):
        groups.add(("chat", "frontend"))
    return groups


@events.test_start.add_listener
def _pace_chat(environment: Environment, **_) -> None:
    """Each process gets its share of the chat route's limit (workers learn their number from the master)."""
    if isinstance(environment.runner, MasterRunner):  # users run on the workers
        return
    run = _run()
    worker = isinstance(environment.runner, WorkerRunner)
    processes = (environment.parsed_options.expect_workers or 1) if worker else 1
    run.chat_spacing_s = chat_spacing_s(run.profile, processes)
    if run.chat_spacing_s is not None:  # interleaved: worker k's first turn comes k turns after worker 0's
        run.next_chat = time.monotonic() + environment.runner.worker_index * run.chat_spacing_s / processes


# -- watching the generator -------------------------------------------------------------------
def _watch_generator(environment: Environment) -> None:
    """Every generator process watches itself: its CPU (Locust's rule) and how late its event loop
    wakes up (a loop that runs late stretches every response time it measures, whether this
    process is busy or the machine gives it no CPU). Workers report theirs to the master."""
    process = psutil.Process()
    process.cpu_percent()
    window: list[float] = []
    opened = time.perf_counter()
    while True:
        asked = time.perf_counter()
        gevent.sleep(LAG_TICK_S)
        now = time.perf_counter()
        window.append((now - asked - LAG_TICK_S) * 1000)
        if now - opened < CPU_SAMPLE_S:
            continue
        sample = {"cpu": process.cpu_percent(), "lag_ms": statistics.median(window)}
        window, opened = [], now
        runner = environment.runner
        if runner is None or runner.state not in ("spawning", "running"):
            continue
        if isinstance(runner, WorkerRunner):
            runner.send_message("slurpy_generator", sample)
        _note_generator(
            _run(), "local" if not isinstance(runner, WorkerRunner) else f"worker {runner.client_id}", sample
        )


def _note_generator(run: LoadRun, name: str, sample: dict[str, float]) -> None:
    for key, value in sample.items():
        run.generator.setdefault(name, {})[key] = max(run.generator.get(name, {}).get(key, 0.0), value)


def _worker_sample(environment: Environment, msg, **_) -> None:
    _note_generator(_run(), f"worker {msg.node_id}", msg.data)


def _note_missing(run: LoadRun, runner: MasterRunner) -> None:
    # Locust calls a worker missing after its heartbeats stop for a few seconds; one lost just
    # before the end has already missed some (each heartbeat resets the count, each second lowers it).
    run.workers_missing |= {w.id for w in runner.clients.all if w.state == STATE_MISSING or w.heartbeat <= 0}


def _watch_workers(environment: Environment) -> None:
    runner = environment.runner
    expected = environment.parsed_options.expect_workers
    while True:
        gevent.sleep(1)
        if runner.state not in ("spawning", "running"):
            continue
        run = _run()
        _note_missing(run, runner)
        present = len([w for w in runner.clients.all if w.state != STATE_MISSING])
        run.fewest_workers = present if run.fewest_workers is None else min(run.fewest_workers, present)
        if present < expected:
            run.workers_missing.add(f"{expected - present} of {expected} expected")


# -- the verdict --------------------------------------------------------------------------------
def _error_text(error) -> str:
    return re.sub(r"^CatchResponseError\('(.*)'\)$", r"\1", str(error))


def _group_stats(environment: Environment, groups: set[tuple[str, str]]) -> dict[str, GroupStats]:
    stats = environment.runner.stats
    seconds = max(0.0, (stats.total.last_request_timestamp or time.time()) - stats.total.start_time)
    found = {f"{k}:{s}": GroupStats(k, s, seconds=seconds) for k, s in groups}
    for entry in stats.entries.values():
        group = group_of(entry.name)
        if group is not None:
            found.setdefault(f"{group[0]}:{group[1]}", GroupStats(*group, seconds=seconds)).add(
                entry.num_requests, entry.num_failures, dict(entry.response_times)
            )
    for error in stats.errors.values():
        group = group_of(error.name)
        if group is not None:
            errors = found[f"{group[0]}:{group[1]}"].errors
            text = _error_text(error.error)
            errors[text] = errors.get(text, 0) + error.occurrences
    return found


def _inconclusive(environment: Environment, run: LoadRun) -> list[str]:
    reasons = []
    policy = run.profile.load
    hot = [
        f"{name} CPU {peak['cpu']:.0f}% over {policy.cpu_limit_percent:g}%"
        for name, peak in sorted(run.generator.items())
        if peak["cpu"] > policy.cpu_limit_percent
    ]
    hot += [
        f"{name} event loop {peak['lag_ms']:.0f} ms late over {policy.max_loop_lag_ms:g} ms"
        for name, peak in sorted(run.generator.items())
        if peak["lag_ms"] > policy.max_loop_lag_ms
    ]
    runner = environment.runner
    if runner.cpu_warning_emitted or getattr(runner, "worker_cpu_warning_emitted", False):
        hot.append("Locust's own CPU warning")
    if hot:
        reasons.append(f"the load generator was saturated ({'; '.join(hot)})")
    if isinstance(runner, MasterRunner):
        _note_missing(run, runner)
    if run.workers_missing:
        reasons.append(f"workers went missing during the run ({', '.join(sorted(run.workers_missing))})")
    provoked = sum(e.num_requests for e in runner.stats.entries.values() if e.name.startswith(SCENARIO_BUG))
    if provoked:
        reasons.append(
            f"the scenario provoked {provoked} rate-limit answer(s) itself: its pacing is wrong, a bug in "
            "load/, not in the target"
        )
    if runner.exceptions:
        raised = sum(e["count"] for e in runner.exceptions.values())
        first = next(iter(runner.exceptions.values()))["msg"]
        reasons.append(f"the scenario code raised {raised} exception(s), first: {first}")
    if runner.stats.total.num_requests == 0:
        reasons.append("the run made no requests: its scenarios never ran")
    elapsed = time.monotonic() - run.started
    if run.schedule is None or not run.schedule.finished:
        reasons.append(f"the run was stopped after {elapsed:.0f} s, before its schedule ended")
    return reasons


@events.test_start.add_listener
def _mark_start(environment: Environment, **_) -> None:
    _run().started = time.monotonic()


@events.quitting.add_listener
def _judge(environment: Environment, **_) -> None:
    """The verdict, on the master (or the only process): records, then the exit code both ways,
    so that a failed request within its ratio does not fail the run by itself."""
    if isinstance(environment.runner, WorkerRunner) or RUN is None:
        return
    run = RUN
    reasons = _inconclusive(environment, run)
    inconclusive = "inconclusive: " + "; ".join(reasons) if reasons else None
    thresholds = run.profile.load.thresholds
    if isinstance(run.schedule, CapacitySearch):
        run.records.append(capacity_record(run.schedule.report, inconclusive))
    else:
        judged = run.schedule.judged() if run.schedule is not None and run.schedule.finished else None
        stats = judged or _group_stats(environment, run.groups)
        if judged:
            run.notes.append(
                f"judged the last {next(iter(judged.values())).seconds:.0f} s, once every user had started "
                f"and settled; Locust's report covers the whole run"
            )
        for group in sorted(stats):
            s = stats[group]
            url = run.profile.services[s.service].base_url if s.service in run.profile.services else ""
            run.records.append(group_record(judge_group(s, thresholds[s.kind]), url, inconclusive))
    if reasons:
        run.records.append(
            generator_record(
                reasons,
                {
                    "generator": run.generator,
                    "workers_missing": sorted(run.workers_missing),
                    "requests": environment.runner.stats.total.num_requests,
                },
            )
        )
    recorder = RunRecorder(Run(target=run.profile.name), [JsonlSink(run.results)])
    for record in run.records:
        recorder.add(record)
    recorder.close()
    verdicts = {r.verdict for r in run.records}
    # A broken threshold is a finding even beside a group that could not be judged; an inconclusive
    # group (too few requests) fails the gate too: a gate that judged less than it promised is no pass.
    outcome = "fail" if Verdict.FAIL in verdicts else "inconclusive" if Verdict.ERROR in verdicts else "pass"
    environment.process_exit_code = EXIT[outcome]
    run.lines = _report(run, outcome)


def _report(run: LoadRun, outcome: str) -> list[str]:
    lines = [f"Slurpy load: target {run.profile.name}, {run.mode}: {outcome.upper()}"]
    if isinstance(run.schedule, CapacitySearch):
        lines += stage_table(run.schedule.report)
    else:
        lines += table(run.records)
    # A run the generator cannot vouch for says so once (every group carries the same reason).
    shown = [r for r in run.records if r.check == "load"] or run.records
    lines += [r.message for r in shown if r.verdict is not Verdict.PASS or r.service == "capacity"]
    lines += [f"note: {note}" for note in run.notes]
    lines.append(f"results: {run.results}")
    return lines


@events.quit.add_listener
def _print_verdict(exit_code: int, **_) -> None:
    """After Locust's own statistics, so the verdict is the last thing on the screen."""
    if RUN is not None and RUN.lines:
        print("\n".join(RUN.lines), flush=True)
