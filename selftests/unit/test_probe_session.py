"""Signed-in probes without a network: MockTransport plays Supabase Auth (GoTrue)."""

import json

import httpx
import pytest

from monitor import redact
from monitor.probe import NetworkSettings, Probe
from monitor.probe.session import AuthError, SessionHeaders, StaticBearer, SupabasePasswordGrant, session_headers
from monitor.profile import ProfileError, load_profile

ANON = "anon-key-for-tests"


class GoTrue:
    """Password and refresh grants; refresh tokens are single use, as GoTrue rotates them."""

    def __init__(self, password="right-password-123", expires_in=3600):
        self.password, self.expires_in = password, expires_in
        self.calls: list[tuple[str, dict]] = []
        self.issued = 0
        self.live_refresh: set[str] = set()

    def session(self) -> httpx.Response:
        self.issued += 1
        refresh = f"refresh-{self.issued:04d}-opaque"
        self.live_refresh.add(refresh)
        return httpx.Response(
            200,
            json={
                "access_token": f"eyJhbGciOi.eyJzdWIiOi{self.issued:04d}.sig",
                "expires_in": self.expires_in,
                "refresh_token": refresh,
                "user": {"id": "u1"},
            },
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        grant, body = request.url.params["grant_type"], json.loads(request.content)
        self.calls.append((grant, body))
        if request.headers.get("apikey") != ANON:
            return httpx.Response(401, json={"message": "Invalid API key"})
        if grant == "password":
            if body["password"] != self.password:
                return httpx.Response(
                    400, json={"error": "invalid_grant", "error_description": "Invalid login credentials"}
                )
            return self.session()
        if body["refresh_token"] not in self.live_refresh:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Invalid Refresh Token"})
        self.live_refresh.discard(body["refresh_token"])
        return self.session()


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def client(gotrue, clock, password="right-password-123", anon=ANON):
    probe = Probe(NetworkSettings(target="t", retries=0), transport=httpx.MockTransport(gotrue))
    return SupabasePasswordGrant(
        probe, "https://project.supabase.test/", anon, "monitor@x.test", password, margin_s=60, clock=clock
    )


def test_signs_in_once_and_reuses_the_token():
    gotrue, clock = GoTrue(), Clock()
    grant = client(gotrue, clock)
    first = grant.token()
    clock.now = 3000
    assert grant.token() == first
    assert [g for g, _ in gotrue.calls] == ["password"]
    assert gotrue.calls[0][1] == {"email": "monitor@x.test", "password": "right-password-123"}


def test_refreshes_before_expiry_with_the_refresh_grant():
    gotrue, clock = GoTrue(), Clock()
    grant = client(gotrue, clock)
    first = grant.token()
    clock.now = 3600 - 59
    second = grant.token()
    assert second != first and [g for g, _ in gotrue.calls] == ["password", "refresh_token"]
    assert gotrue.calls[1][1] == {"refresh_token": "refresh-0001-opaque"}


def test_a_refused_refresh_signs_in_again():
    gotrue, clock = GoTrue(), Clock()
    grant = client(gotrue, clock)
    grant.token()
    gotrue.live_refresh.clear()  # e.g. the session was revoked
    clock.now = 4000
    grant.token()
    assert [g for g, _ in gotrue.calls] == ["password", "refresh_token", "password"]


def test_refused_credentials_say_where_and_why_but_not_the_password():
    grant = client(GoTrue(), Clock(), password="wrong-password-456")
    with pytest.raises(AuthError) as refused:
        grant.token()
    message = str(refused.value)
    assert message == (
        "Supabase Auth at https://project.supabase.test/auth/v1/token?grant_type=password refused the "
        "monitor account: 400 Invalid login credentials"
    )
    assert "wrong-password-456" not in message


def test_a_wrong_anon_key_is_named_as_such():
    with pytest.raises(AuthError, match="401 Invalid API key"):
        client(GoTrue(), Clock(), anon="not-the-anon-key").token()


def test_tokens_and_password_are_registered_for_redaction():
    gotrue, clock = GoTrue(), Clock()
    grant = client(gotrue, clock)
    access = grant.token()
    kept = f"{access} refresh-0001-opaque right-password-123".encode()
    assert redact.scrub(kept) == b"******** ******** ********"


def test_session_headers_carry_the_token_a_same_site_origin_and_a_matching_csrf_pair():
    headers = SessionHeaders(StaticBearer("static-token-abc"), "https://app.test", "slurpy.csrf", "x-csrf")()
    cookie_name, _, value = headers["Cookie"].partition("=")
    assert headers["Authorization"] == "Bearer static-token-abc" and headers["Origin"] == "https://app.test"
    assert cookie_name == "slurpy.csrf" and value == headers["x-csrf"] and len(value) >= 16


def test_session_headers_from_a_profile(tmp_path):
    (tmp_path / "t.toml").write_text("""
[secrets]
monitor_token = "T_MONITOR_TOKEN"
[auth]
method = "bearer"
csrf_cookie = ""
[services.frontend]
base_url = "https://app.test"
latency_ms = 500
[[services.frontend.health]]
path = "/api/health"
""")
    profile = load_profile("t", directory=tmp_path)
    probe = Probe(NetworkSettings(target="t"))
    headers = session_headers(profile, {"monitor_token": "env-token-xyz"}.__getitem__, probe)()
    assert headers == {
        "Authorization": "Bearer env-token-xyz",
        "Origin": "https://app.test",
        "x-csrf": headers["x-csrf"],
    }


@pytest.mark.parametrize(
    "text,problem",
    [
        (
            "[[rate_limits]]\nservice = 'frontend'\npath = '/api/journal'\nlimit = 1\nwindow_s = 60\nauth = true\n",
            "says auth = true, but [auth] has no method",
        ),
        ("[auth]\nmethod = 'supabase-password'\n", "needs supabase_url"),
        (
            "[auth]\nmethod = 'supabase-password'\nsupabase_url = 'https://p.supabase.co'\n",
            "[auth] reads secret(s) supabase_anon_key, monitor_email, monitor_password",
        ),
        (
            "[[validation]]\nservice = 'frontend'\npath = '/api/journal'\nvalid_body = { n = 1 }\nwrong_types = {}\n",
            "valid_body needs a string field",
        ),
        (
            "[[validation]]\nservice = 'frontend'\npath = '/x'\nvalid_body = { n = 1 }\npad_field = 'n'\nwrong_types "
            "= {}\n",
            "pad_field 'n' must name a string field",
        ),
    ],
)
def test_auth_and_rule_mistakes_are_named(tmp_path, text, problem):
    (tmp_path / "t.toml").write_text(
        text
        + """
[services.frontend]
base_url = "https://app.test"
latency_ms = 500
[[services.frontend.health]]
path = "/api/health"
"""
    )
    with pytest.raises(ProfileError) as error:
        load_profile("t", directory=tmp_path)
    assert problem in str(error.value)


def test_kept_artifacts_lose_anything_shaped_like_a_session_token(tmp_path):
    # A journey's page signs itself in: its tokens never pass through the monitor to be registered.
    (tmp_path / "0-trace.network").write_bytes(
        b'{"name":"authorization","value":"Bearer opaque-browser-token-1"},'
        b'{"name":"cookie","value":"sb-access-token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}'
    )
    redact.scrub_tree(tmp_path)
    kept = (tmp_path / "0-trace.network").read_text()
    assert "opaque-browser-token-1" not in kept and "eyJzdWIiOiIxIn0" not in kept
    assert '"Bearer ********"' in kept and "sb-access-token=********" in kept
