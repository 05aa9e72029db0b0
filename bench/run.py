"""`make bench` (`python -m bench.run`): every benchmark, one after the other. See
bench/README.md.

Arguments go to the reminders benchmark; the dashboard benchmark runs with its defaults
(`python -m bench.dashboard --help` for its own options).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for module, args in (("bench.reminders", sys.argv[1:]), ("bench.dashboard", [])):
    print(f"== {module}", flush=True)
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True)
