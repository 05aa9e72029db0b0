"""Writes a benchmark's figures into bench/README.md, between its generated markers:

    <!-- generated: NAME -->
    ...
    <!-- end generated: NAME -->

Everything between them is replaced at every run; the text around them is written by hand.
A section whose markers are missing is added at the end of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_section(name: str, markdown: str, readme: Path = README) -> None:
    start, end = f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = readme.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text)
