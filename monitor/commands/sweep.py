"""``slurpy-sweep --target NAME``: find synthetic accounts left behind by crashed runs and delete them."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from monitor.browser.accounts import AccountApiError, TestAccounts
from monitor.commands.stand_in import live_target
from monitor.plugins.hooks import StandInError
from monitor.probe import NetworkSettings, Probe
from monitor.profile import MissingSecret, ProfileError, Secrets, load_profile, resolve_target_name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slurpy-sweep", description=__doc__)
    parser.add_argument("--target", default=None)
    parser.add_argument("--dry-run", action="store_true", help="list, do not delete")
    args = parser.parse_args(argv)
    try:
        with ExitStack() as cleanup:
            name = resolve_target_name(args.target)
            profile = load_profile(name)
            provided: dict[str, str] = {}
            if profile.sandbox:  # only a running one: a sandbox keeps its accounts while it runs
                live = live_target(profile, frozenset(), [], cleanup, start=False)
                if live is None:
                    print(
                        "slurpy-sweep: the sandbox keeps its accounts only while it runs; nothing to sweep",
                        file=sys.stderr,
                    )
                    return 0
                profile, provided = live.profile, live.secrets
            token = Secrets(profile, provided=provided).get("admin_token")
            probe = Probe(NetworkSettings.from_profile(profile))
            accounts = TestAccounts(probe, profile, token)
            prefix = profile.journeys.synthetic_prefix.lower()
            found = [email for email in accounts.list() if email.lower().startswith(prefix)]
            for email in found:
                if not args.dry_run:
                    accounts.delete(email)
                print(f"{'would delete' if args.dry_run else 'deleted'} {email}")
            print(f"{len(found)} synthetic account(s) {'found' if args.dry_run else 'removed'} on {profile.name}")
            return 0
    except (ProfileError, AccountApiError, MissingSecret, StandInError) as exc:
        print(f"slurpy-sweep: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
