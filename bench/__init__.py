"""Benchmarks that print their figures beside a baseline of the same run.

A package, run from the project's root as `python -m bench.expand`, `python -m bench.audit`,
`python -m bench.pipeline`: `bench.audit` is then a module of its own and cannot shadow the
`audit` package, so no script edits `sys.path`.
"""
