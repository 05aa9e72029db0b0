"""Parse a muscle document written in the seed's plain-text format.

The format (see trigger/content/gastrocnemius-trigger-points.txt):

* the first line is the title ("Gastrocnemius Trigger Points");
* known section headings on a line of their own ("Indications", "Muscle Action", ...);
* in a section: paragraphs, and bullets ("•") that may read "Label: text" and may end in
  a parenthesised note ("... (mistaken for plantar fasciitis)");
* under "Corrective Actions", module headings ("Stretching", ...) each followed by bullets;
* under "Anatomy and Innervation", a header row and one row per muscle, cells separated by
  tabs, " | ", two or more spaces, or (as in the seed) by the end of each cell's
  parenthesised part;
* a "➡️" line for further reading; "Sources:" followed by bullets.

This module only turns text into plain data; trigger.services writes it to the database.
Every statement lives in the document: nothing clinical is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET_MARKS = ("•", "- ", "* ", "– ")

# Heading as written (lower-cased, no trailing colon) -> section key.
SECTION_HEADINGS: dict[str, str] = {
    "introduction": "introduction",
    "name and area": "name_area",
    "indications": "indications",
    "muscle action": "actions",
    "muscle actions": "actions",
    "signs and symptoms": "symptoms",
    "perpetuating factors": "perpetuating",
    "trigger point referral pattern": "referral",
    "referral pattern": "referral",
    "differential diagnosis": "differential",
    "differential diagnoses": "differential",
    "associated trigger points": "associated",
    "associated muscles": "associated",
    "anatomy and innervation": "anatomy",
    "anatomy": "anatomy",
    "patient examination": "examination",
    "corrective actions": "corrective",
    "conclusion": "conclusion",
    "sources": "sources",
}
# Sections whose bullets become SectionItem rows (the others have models of their own).
LIST_SECTIONS = ("indications", "actions", "symptoms", "perpetuating", "examination")


class ParseError(ValueError):
    """A document that does not follow the format; names the line."""

    def __init__(self, line_no: int, message: str) -> None:
        self.line_no = line_no
        self.message = message
        super().__init__(f"line {line_no}: {message}")


@dataclass
class Bullet:
    text: str
    label: str = ""
    note: str = ""
    line_no: int = 0


@dataclass
class Section:
    key: str
    heading: str
    line_no: int
    lead: list[str] = field(default_factory=list)
    bullets: list[Bullet] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    # Only for "corrective": module heading -> its bullets, in order.
    modules: list[tuple[str, list[Bullet]]] = field(default_factory=list)
    # Only for "anatomy": the rows of the table (lists of cells).
    table: list[list[str]] = field(default_factory=list)


@dataclass
class MuscleDocument:
    title: str
    name: str
    area: str
    introduction: str
    sections: dict[str, Section]
    further_reading: str = ""
    sources: list[str] = field(default_factory=list)

    def section(self, key: str) -> Section | None:
        return self.sections.get(key)


def split_note(text: str) -> tuple[str, str]:
    """Split a trailing parenthesised note off ``text``, honouring nested parentheses.

    "The back of the calf (Can Mimic X (DVT))" -> ("The back of the calf", "Can Mimic X (DVT)").
    A period after the closing parenthesis ends the sentence and is dropped.
    """
    stripped = text.rstrip()
    if stripped.endswith(")."):
        stripped = stripped[:-1]
    if not stripped.endswith(")"):
        return text.strip(), ""
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        char = stripped[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                head = stripped[:index].rstrip()
                if not head:  # the whole bullet is in parentheses: not a note
                    return text.strip(), ""
                return head, stripped[index + 1 : -1].strip()
    return text.strip(), ""


_LABEL = re.compile(r"^(?P<label>[^:.()]{1,60}):\s+(?P<rest>.+)$")


def parse_bullet(raw: str, line_no: int) -> Bullet:
    label = ""
    text = raw.strip()
    match = _LABEL.match(text)
    if match:
        label, text = match["label"].strip(), match["rest"].strip()
    text, note = split_note(text)
    return Bullet(text=text, label=label, note=note, line_no=line_no)


def _bullet_body(line: str) -> str | None:
    for mark in BULLET_MARKS:
        if line.startswith(mark):
            return line[len(mark) :].strip()
    return None


def _heading_key(line: str) -> str | None:
    return SECTION_HEADINGS.get(line.strip().rstrip(":").strip().lower())


def split_table_row(
    row: str, expected: int, line_no: int, first_cell: str | None = None
) -> list[str]:
    """Split one row of the anatomy table into ``expected`` cells.

    ``first_cell`` is the muscle's name, which the seed's space-separated form needs:
    nothing else tells where a two-word name ("Tibialis posterior") ends.
    """
    for separator in ("\t", " | ", "|"):
        if separator in row:
            cells = [cell.strip() for cell in row.split(separator) if cell.strip()]
            break
    else:
        cells = [cell for cell in re.split(r"\s{2,}", row.strip()) if cell]
        if len(cells) != expected:
            # The seed's form: the first cell is the muscle's name, each later cell ends
            # with its parenthesised part ("Femur (medial and lateral condyles)").
            stripped = row.strip()
            if not first_cell or not stripped.startswith(first_cell + " "):
                raise ParseError(
                    line_no,
                    "the anatomy row must start with the muscle's name, or separate its "
                    "cells with tabs or ' | '",
                )
            rest = stripped[len(first_cell) :]
            parts = [p.strip() for p in re.split(r"(?<=\))\s+", rest) if p.strip()]
            cells = [first_cell, *parts]
    if len(cells) != expected:
        raise ParseError(
            line_no,
            f"the anatomy row has {len(cells)} cells where the header has {expected}; "
            "separate the cells with tabs or ' | '",
        )
    return cells


def parse_document(text: str) -> MuscleDocument:
    lines = text.splitlines()
    numbered = [(i + 1, line.strip()) for i, line in enumerate(lines)]
    content = [(n, line) for n, line in numbered if line]
    if not content:
        raise ParseError(1, "the document is empty")

    title_line, title = content[0]
    if _heading_key(title) or _bullet_body(title) is not None:
        raise ParseError(title_line, "the first line must be the document's title")

    # The muscle's name, wherever its "Name:" bullet is: the anatomy table needs it.
    name = next(
        (
            parse_bullet(body, n).text
            for n, line in content
            if (body := _bullet_body(line)) is not None and body.lower().startswith("name:")
        ),
        None,
    )
    sections: dict[str, Section] = {}
    current: Section | None = None
    current_module: list[Bullet] | None = None
    further_reading = ""

    for line_no, line in content[1:]:
        key = _heading_key(line)
        if key:
            if key in sections:
                raise ParseError(line_no, f"the section '{line}' appears twice")
            current = Section(key=key, heading=line.rstrip(":"), line_no=line_no)
            sections[key] = current
            current_module = None
            continue
        if current is None:
            raise ParseError(line_no, f"text before the first section heading: '{line[:60]}'")
        if line.startswith("➡"):
            further_reading = line.lstrip("➡️ ").strip()
            continue
        body = _bullet_body(line)
        if current.key == "corrective":
            if body is None:
                # A line that is not a bullet starts a module when bullets follow it.
                current_module = []
                current.modules.append((line, current_module))
            elif current_module is None:
                raise ParseError(line_no, "a corrective action must follow a module heading")
            else:
                current_module.append(parse_bullet(body, line_no))
            continue
        if current.key == "anatomy" and body is None and not current.bullets:
            header_or_row = current.table
            if not header_or_row:
                header = [c for c in re.split(r"\t| \| |\||\s+", line) if c]
                if len(header) < 2:
                    raise ParseError(line_no, "the anatomy table needs a header row")
                current.table.append(header)
                continue
            if len(current.table) == 1:
                current.table.append(
                    split_table_row(line, len(current.table[0]), line_no, first_cell=name)
                )
                continue
        if body is not None:
            if current.summary:
                raise ParseError(line_no, "a bullet after the section's closing paragraph")
            current.bullets.append(parse_bullet(body, line_no))
        elif current.bullets or current.table:
            current.summary.append(line)
        else:
            current.lead.append(line)

    for key in ("name_area",):
        if key not in sections:
            raise ParseError(len(lines), "the document has no 'Name and Area' section")
    fields = {b.label.lower(): b for b in sections["name_area"].bullets}
    if "name" not in fields:
        raise ParseError(sections["name_area"].line_no, "'Name and Area' needs a 'Name:' bullet")
    for module_name, bullets in sections.get("corrective", Section("", "", 0)).modules:
        if not bullets:
            raise ParseError(
                sections["corrective"].line_no, f"the module '{module_name}' has no bullets"
            )
    anatomy = sections.get("anatomy")
    if anatomy is not None and len(anatomy.table) < 2:
        raise ParseError(anatomy.line_no, "the anatomy section has no table row")

    intro = sections.get("introduction")
    sources = [
        " ".join(filter(None, [b.label + ":" if b.label else "", b.text]))
        + (f" ({b.note})" if b.note else "")
        for b in (sections["sources"].bullets if "sources" in sections else [])
    ]
    return MuscleDocument(
        title=title,
        name=fields["name"].text,
        area=fields["area"].text if "area" in fields else "",
        introduction="\n\n".join(intro.lead if intro else []),
        sections=sections,
        further_reading=further_reading,
        sources=sources,
    )
