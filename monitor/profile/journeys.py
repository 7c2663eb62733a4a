"""What the browser journeys need to know about the target."""

from __future__ import annotations

from pydantic import Field, field_validator

from monitor.profile.validation import MAX_MS, MAX_TIMEOUT_S, Strict


class JourneyPolicy(Strict):
    """What the browser journeys need to know about the target."""

    timeout_s: float = Field(
        default=60, gt=0, le=MAX_TIMEOUT_S, description="a whole journey; Playwright waits at most this long for a step"
    )
    chat_threshold_ms: float = Field(
        default=2000, gt=0, le=MAX_MS, description="streamed reply complete within (chat p95 SLO)"
    )
    chat_message: str = Field(
        default="Hi Slurpy, this is the synthetic monitor checking in.", description="what the chat journey sends"
    )
    chat_stream_path: str = Field(
        default="/api/proxy-chat-stream", description="the route the chat page streams its reply from"
    )
    chat_fallback: str = Field(
        default="I'm here to help!", description="the canned text the UI shows when no reply came: never a pass"
    )
    synthetic_email: str = Field(
        default="monitor+{run_id}@example.com",
        description="address pattern for accounts the monitor creates; must hold {run_id}",
    )
    inbox_url: str | None = Field(
        default=None, description="test inbox API, {email} is replaced; JSON {messages: [{body}]}"
    )
    test_accounts_path: str | None = Field(
        default=None, description="admin API to create/list/delete synthetic accounts"
    )
    stripe_test_mode: bool = Field(default=False, description="checkout runs in Stripe test mode: the monitor may pay")
    pro_price: str = Field(default="$17", description="the Pro price checkout must show")
    success_card: str = Field(default="4242424242424242", description="Stripe test card that succeeds (test mode only)")
    declined_card: str = Field(default="4000000000000002", description="Stripe test card that is declined")

    @field_validator("synthetic_email")
    @classmethod
    def _has_run_id(cls, value: str) -> str:
        if "{run_id}" not in value or "@" not in value:
            raise ValueError("must be an address holding {run_id}, e.g. monitor+{run_id}@your-domain.com")
        return value

    @property
    def synthetic_prefix(self) -> str:
        return self.synthetic_email.split("{run_id}")[0]
