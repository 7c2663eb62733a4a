"""Pure analysers: they judge what a probe (or a browser, or Locust) observed and say why in words.
No network, no clock unless passed in; unit-tested with made-up observations.

May import: :mod:`monitor.profile` (the constants a judgement uses flow from there),
:mod:`monitor.results`, the standard library and parsers that touch nothing outside the process
(cryptography, hyperscan, pybase64). Never httpx, socket or ssl, the probe, the checks, the
plugins, a browser or pytest: the probe turns exceptions into categories and words before
anything here sees them."""
