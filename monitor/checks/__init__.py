"""Checks: probe the target, hand what was observed to an analyser, return a CheckResult.

Test modules are thin: they call one of these and assert on the verdict, so the fault matrix,
the benchmarks and the suites all judge a target the same way.
"""
