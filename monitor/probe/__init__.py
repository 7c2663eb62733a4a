"""The probe: the monitor's way onto the network, and everything that bounds it. A check asks the
probe for an answer and judges it; the probe never judges.

* :mod:`.probe` requests and TLS handshakes (:class:`Probe`, :class:`NetworkSettings`), retries,
  and what each exchange observed (:class:`Exchange`, :class:`CertFetch`)
* :mod:`.attempt_deadline` one wall-clock deadline per network attempt, connect to last byte, and
  the capped read (the alert channels use it too, for their receivers)
* :mod:`.run_deadline` the run's deadline, which caps every attempt and every journey wait
* :mod:`.errors` the probe's error types and phases, and what a network error means: its category,
  whether to retry, its reason in words
* :mod:`.session` signed-in sessions: a Supabase password grant or a bearer token, and the headers
  a signed-in probe sends

May import: ``monitor.results``, ``monitor.profile``, ``monitor.redact``, ``monitor.analysers``
and the network libraries (httpx, socket, ssl). Never ``slurpy_sandbox``, ``tests``,
``selftests``, the browser or the commands. The analysers never import this package: they see
categories and words, not exceptions.
"""

from monitor.probe.probe import CertFetch, Exchange, NetworkSettings, Probe, Sent, trust_context

__all__ = ["CertFetch", "Exchange", "NetworkSettings", "Probe", "Sent", "trust_context"]
