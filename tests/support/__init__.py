"""What the test folders share, in one place; a test imports it relatively
(``from ..support import paths``, one more ``.`` per folder level).

- ``paths``: the repository and the folders tests read (runtimes, events, vectors).
- ``runtimes``: artifacts written independently of ``model/``, API Gateway events, both model
  functions (Python in-process, Java behind a harness JVM) and one ``invoke`` for both.
- ``kdd``: the KDD Cup 99 sample and the real files, and lines to edit them with.
- ``stacks``: a test model artifact, stand-in runtime trees and framework wheels, a project
  for the loadgen-worker stack.
- ``lambda_python``: a packaged Python function run as Lambda runs it (a clean interpreter).
- ``function_stacks``: a team's own function on disk (code, requests, wheels).
- ``pulumi_harness``: ``stack/__main__.py`` run under Pulumi's mocks.
- ``loadgen_server``: a local HTTP target for the load generator; ``runs``: two runs recorded
  against it.
- ``instances``: an emulator instance record in a given state, without a process.
- ``workers_controller``: the load generator's controller with Lambda and S3 replaced, run as a
  real process (``python -m tests.support.workers_controller``) by the workers' fault tests.

This folder holds no tests (tests/test_layout.py holds it to that). Fixtures live in the
``conftest.py`` of the nearest folder that holds every test using them.
"""
