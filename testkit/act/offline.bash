# Sourced by every bash step of a rehearsed job (BASH_ENV, set by testkit/act_harness.py).
# A rehearsal talks to 127.0.0.1 only and runs as root on this Debian machine, so the three things
# a workflow step fetches or installs from the internet are checked instead of done: what they
# would install must already be here. This is the harness's difference, never the workflow's; so is
# the fourth, below: the sandbox joins the job's environment.

# `playwright install [--with-deps] chromium`: Playwright's CDN. The journeys fall back to Debian's
# Chromium (monitor/browser/fixtures.py), which must be present.
playwright() {
  if [ "${1:-}" = install ]; then
    for browser in /usr/lib/chromium/chromium-headless-shell /usr/lib/chromium/chromium; do
      if [ -x "$browser" ]; then echo "rehearsal: 'playwright $*' not run: using $browser"; return 0; fi
    done
    echo "rehearsal: 'playwright $*' cannot download here and no Debian Chromium is installed" >&2
    return 1
  fi
  command playwright "$@"
}

# `npx --yes allure@3 generate`: the npm registry. Allure's HTML report is not rehearsed.
npx() {
  echo "rehearsal: 'npx $*' not run (no download here): Allure's HTML report is not rehearsed"
}

# `sudo apt-get install -y PACKAGE...`: this machine has no sudo (the rehearsal runs as root) and
# installs nothing: each package must already be installed.
sudo() { "$@"; }
apt-get() {
  if [ "${1:-}" != install ]; then command apt-get "$@"; return; fi
  shift
  local package
  for package in "$@"; do
    case "$package" in -*) continue ;; esac
    dpkg -s "$package" >/dev/null 2>&1 || { echo "rehearsal: apt-get install $package: not installed here" >&2; return 1; }
  done
  echo "rehearsal: apt-get install $*: already installed"
}

# `uv sync [--project DIR] ...`: done as written, then the sandbox's distribution (sandbox/, from the
# checkout, offline) joins the environment it made. A real production run never needs it, but a
# rehearsal's "production" is the sandbox running outside the job, which the suites join through
# its plugin (an entry point of that distribution; joining needs none of the sandbox's server packages).
uv() {
  command uv "$@" || return
  [ "${1:-}" = sync ] || return 0
  local project=. previous=""
  for word in "$@"; do
    [ "$previous" = --project ] && project=$word
    previous=$word
  done
  command uv pip install --quiet --offline --no-deps --python "$project/.venv/bin/python" -e "$project/sandbox" &&
    echo "rehearsal: the sandbox's distribution added to $project/.venv (the rehearsal's production is the sandbox)"
}
