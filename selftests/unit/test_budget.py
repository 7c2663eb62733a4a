"""Which checks spend one limiter budget, and so must share an xdist worker."""

from monitor.checks.catalogue import catalogue
from monitor.plugins.budget import budget_groups
from monitor.profile import load_profile

MINIMAL = """
[secrets]
monitor_token = "T_TOKEN"
[auth]
method = "bearer"
[services.frontend]
base_url = "https://app.test"
latency_ms = 500
[[services.frontend.health]]
path = "/api/health"
"""


def test_the_chat_journey_shares_the_chat_routes_account_budget():
    labels, journeys = budget_groups(catalogue(load_profile("sandbox")))
    chat = "budget:frontend:POST:/api/proxy-chat-stream:account"
    assert labels["frontend POST /api/proxy-chat-stream"] == journeys["test_chat"] == chat
    assert labels["frontend POST /api/journal"] == "budget:frontend:POST:/api/journal:account"
    assert set(journeys) == {"test_chat"}  # the other journeys spend no probe's budget


def test_rules_on_one_route_share_a_group_even_with_different_callers(tmp_path):
    (tmp_path / "t.toml").write_text(
        MINIMAL
        + """
[[rate_limits]]
service = "frontend"
path = "/api/journal"
auth = true
limit = 5
window_s = 60
[[validation]]
service = "frontend"
path = "/api/journal"
valid_body = { content = "x" }
wrong_types = { content = 1 }
"""
    )
    labels, journeys = budget_groups(catalogue(load_profile("t", directory=tmp_path)))
    assert labels == {"frontend POST /api/journal": labels["frontend POST /api/journal"]}
    assert journeys == {"test_chat": "budget:frontend:POST:/api/proxy-chat-stream:account"}
