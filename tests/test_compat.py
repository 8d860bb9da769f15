"""async_drf.compat: each private upstream API it relies on still behaves as used."""

from __future__ import annotations

import subprocess
import sys

EXIT_HOOK_SCRIPT = """
import threading
from async_drf.compat import register_exit_hook

released = threading.Event()
threading.Thread(target=released.wait).start()  # non-daemon: joined at exit
register_exit_hook(lambda: (print("hook ran"), released.set()))
"""


def test_exit_hooks_run_before_the_interpreter_joins_threads():
    """An ``atexit`` hook would run after the join: the process would never exit."""
    result = subprocess.run(
        [sys.executable, "-c", EXIT_HOOK_SCRIPT], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "hook ran\n", "")
