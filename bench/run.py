"""`make bench`: every benchmark, one after the other. See bench/README.md."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for module in ("bench.reminders",):
    print(f"== {module}", flush=True)
    subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], check=True, cwd=HERE.parent)
