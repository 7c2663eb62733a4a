"""What the self-tests (selftests/) and the benchmarks (bench/) share, so neither imports the other:
real local alert receivers (:mod:`.receivers`, validating payloads by :mod:`.provider_schemas`), the
scripted history (:mod:`.scripted_history`), the profiles they write (:mod:`.profiles`), the act
harness that rehearses the workflow files (:mod:`.act_harness`, its stand-in actions in act/), and
what a child given a minimal environment keeps of this one (:mod:`.child_env`).

Test code: it may import the monitor and the sandbox; the monitor never imports it, and it is in
no wheel."""
