"""The repository explains itself: no file cites a document that lives outside it. A
maintainer must be able to follow every reference from a fresh clone (docs/ holds the
architecture, the clinical facts and operations)."""

import re
import subprocess

from django.conf import settings

# Built from parts so that this file does not match itself.
OUTSIDE_DOCUMENTS = re.compile(
    "|".join(
        [
            r"\b" + "DESIGN" + r"\.md\b",
            r"\b" + "CONVENTIONS" + r"\.md\b",
            r"\b" + "ECOSYSTEM" + r"\.md\b",
            r"(?<!docs/)\b" + "CLINICAL" + r"\.md\b",
            r"\.\./" + "shared" + r"\b",
            r"\b" + "shared" + r"/(?:seed|hooks|[A-Z]+\.md)",
        ]
    )
)


def _tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=settings.BASE_DIR, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and not name.startswith("static/vendor/")]


def test_no_file_cites_a_document_outside_the_repository():
    citing = []
    for name in _tracked_text_files():
        try:
            text = (settings.BASE_DIR / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE_DOCUMENTS.search(line):
                citing.append(f"{name}:{number}: {line.strip()[:100]}")

    assert not citing, "files citing documents outside the repository:\n" + "\n".join(citing)


def test_the_documents_the_code_cites_are_in_the_repository():
    for document in ("docs/architecture.md", "docs/clinical.md", "docs/operations.md"):
        assert (settings.BASE_DIR / document).is_file(), document


def test_the_check_finds_a_citation_of_an_outside_document():
    # The pattern is not vacuous: each way of citing the briefing is caught.
    for line in [
        "# see " + "CLINICAL" + ".md, red flags",
        "source = '" + "shared" + "/" + "CLINICAL" + ".md'",
        "read ../" + "shared" + "/seed first",
        "(" + "DESIGN" + ".md, the flow of data)",
    ]:
        assert OUTSIDE_DOCUMENTS.search(line), line
    assert not OUTSIDE_DOCUMENTS.search("see docs/clinical.md")
