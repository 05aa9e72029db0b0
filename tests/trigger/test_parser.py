"""The seed-format parser turns text into plain data: no database, no clinical content."""

import pytest

from trigger.parser import ParseError, parse_bullet, split_note, split_table_row

SEED_ROW = (
    "Gastrocnemius Femur (medial and lateral condyles) "
    "Achilles tendon, calcaneus (heel bone) Tibial nerve (S1–S2)"
)
SEED_CELLS = [
    "Gastrocnemius",
    "Femur (medial and lateral condyles)",
    "Achilles tendon, calcaneus (heel bone)",
    "Tibial nerve (S1–S2)",
]


# --- split_note ------------------------------------------------------------------------------


def test_split_note_keeps_nested_parentheses_inside_the_note():
    text = "The back of the calf (Can Mimic Sciatic Nerve Pain or Deep Vein Thrombosis (DVT))"

    assert split_note(text) == (
        "The back of the calf",
        "Can Mimic Sciatic Nerve Pain or Deep Vein Thrombosis (DVT)",
    )


def test_split_note_drops_the_period_after_the_closing_parenthesis():
    text = "Pushes the foot downward (essential for walking, running, and jumping)."

    assert split_note(text) == (
        "Pushes the foot downward",
        "essential for walking, running, and jumping",
    )


def test_split_note_splits_a_simple_trailing_note():
    assert split_note("Calf cramping (especially at night)") == (
        "Calf cramping",
        "especially at night",
    )


def test_split_note_returns_text_without_a_note_unchanged():
    assert split_note("Pain when walking, running, or climbing stairs") == (
        "Pain when walking, running, or climbing stairs",
        "",
    )


def test_split_note_keeps_a_sentence_ending_in_a_period_whole():
    assert split_note("Helps bend the knee joint.") == ("Helps bend the knee joint.", "")


def test_split_note_leaves_parentheses_in_the_middle_of_the_text_alone():
    text = "Rule out deep vein thrombosis (DVT) or vascular issues."

    assert split_note(text) == (text, "")


def test_split_note_does_not_treat_text_entirely_in_parentheses_as_a_note():
    assert split_note("(Statement one about the soleus)") == (
        "(Statement one about the soleus)",
        "",
    )


def test_split_note_does_not_treat_nested_text_entirely_in_parentheses_as_a_note():
    assert split_note("(Statement (one) about the soleus).") == (
        "(Statement (one) about the soleus).",
        "",
    )


def test_split_note_leaves_unbalanced_parentheses_alone():
    assert split_note("Statement one about the soleus)") == (
        "Statement one about the soleus)",
        "",
    )


def test_split_note_ignores_trailing_whitespace():
    assert split_note("Calf cramping (at night)  ") == ("Calf cramping", "at night")
    assert split_note("Calf cramping (at night).  ") == ("Calf cramping", "at night")
    assert split_note("Calf cramping  ") == ("Calf cramping", "")


# --- parse_bullet ----------------------------------------------------------------------------


def test_parse_bullet_reads_label_colon_text():
    bullet = parse_bullet(
        "Calf Stretch: Stand with one foot behind the other and lean forward.", line_no=148
    )

    assert bullet.label == "Calf Stretch"
    assert bullet.text == "Stand with one foot behind the other and lean forward."
    assert bullet.note == ""
    assert bullet.line_no == 148


def test_parse_bullet_reads_label_text_and_trailing_note_together():
    bullet = parse_bullet(
        "Plantarflexes the Foot: Pushes the foot downward (essential for walking, running, "
        "and jumping).",
        line_no=33,
    )

    assert (bullet.label, bullet.text, bullet.note) == (
        "Plantarflexes the Foot",
        "Pushes the foot downward",
        "essential for walking, running, and jumping",
    )


def test_parse_bullet_without_a_label_keeps_the_whole_text():
    bullet = parse_bullet("Wear supportive shoes with proper heel cushioning.", line_no=162)

    assert (bullet.label, bullet.text, bullet.note) == (
        "",
        "Wear supportive shoes with proper heel cushioning.",
        "",
    )


def test_parse_bullet_splits_a_note_without_a_label():
    bullet = parse_bullet("Soleus (heel and ankle pain, can contribute to foot fatigue)", 107)

    assert (bullet.label, bullet.text, bullet.note) == (
        "",
        "Soleus",
        "heel and ankle pain, can contribute to foot fatigue",
    )


def test_parse_bullet_needs_a_space_after_the_colon_for_a_label():
    bullet = parse_bullet("Ratio 3:1 of statement one", line_no=1)

    assert (bullet.label, bullet.text) == ("", "Ratio 3:1 of statement one")


@pytest.mark.parametrize(
    "citation",
    [
        "Travell, J. G., & Simons, D. G. (1983). Myofascial Pain and Dysfunction: "
        "The Trigger Point Manual (2nd ed.). Williams & Wilkins.",
        "Simons, D., & Travell, J. (1999). The Trigger Point Manual, Volume 2: "
        "The Lower Extremities. Williams & Wilkins.",
    ],
    ids=["travell-1983", "simons-1999"],
)
def test_parse_bullet_does_not_read_a_citation_as_a_label(citation):
    bullet = parse_bullet(citation, line_no=176)

    assert (bullet.label, bullet.text, bullet.note) == ("", citation, "")


def test_parse_bullet_does_not_read_text_with_a_period_before_the_colon_as_a_label():
    bullet = parse_bullet("Statement one. About the soleus: more text", line_no=1)

    assert bullet.label == ""
    assert bullet.text == "Statement one. About the soleus: more text"


def test_parse_bullet_does_not_read_text_with_parentheses_before_the_colon_as_a_label():
    bullet = parse_bullet("Tibial nerve (S1): statement one about the soleus", line_no=1)

    assert bullet.label == ""
    assert bullet.text == "Tibial nerve (S1): statement one about the soleus"


def test_parse_bullet_does_not_read_a_very_long_prefix_as_a_label():
    prefix = "Statement one about the soleus that goes on and on and on without end"
    assert len(prefix) > 60

    bullet = parse_bullet(f"{prefix}: more", line_no=1)

    assert bullet.label == ""
    assert bullet.text == f"{prefix}: more"


# --- split_table_row -------------------------------------------------------------------------


def test_split_table_row_splits_on_tabs():
    row = "Soleus\tTibia and fibula (posterior surfaces)\tCalcaneus\tTibial nerve (S1–S2)"

    assert split_table_row(row, expected=4, line_no=40) == [
        "Soleus",
        "Tibia and fibula (posterior surfaces)",
        "Calcaneus",
        "Tibial nerve (S1–S2)",
    ]


def test_split_table_row_splits_on_spaced_pipes():
    row = "Soleus | Tibia and fibula, posterior | Calcaneus | Tibial nerve (S1–S2)"

    assert split_table_row(row, expected=4, line_no=40) == [
        "Soleus",
        "Tibia and fibula, posterior",
        "Calcaneus",
        "Tibial nerve (S1–S2)",
    ]


def test_split_table_row_splits_on_two_or_more_spaces():
    row = "Soleus  Tibia and fibula    Achilles tendon, calcaneus  Tibial nerve (S1–S2)"

    assert split_table_row(row, expected=4, line_no=40) == [
        "Soleus",
        "Tibia and fibula",
        "Achilles tendon, calcaneus",
        "Tibial nerve (S1–S2)",
    ]


def test_split_table_row_reads_the_seeds_form_by_its_parentheses():
    assert (
        split_table_row(SEED_ROW, expected=4, line_no=118, first_cell="Gastrocnemius") == SEED_CELLS
    )


def test_split_table_row_reads_the_seeds_form_even_with_two_spaces_in_it():
    row = SEED_ROW.replace(") Achilles", ")  Achilles")

    assert split_table_row(row, expected=4, line_no=118, first_cell="Gastrocnemius") == SEED_CELLS


def test_split_table_row_refuses_a_row_with_the_wrong_number_of_cells_naming_the_line():
    with pytest.raises(ParseError, match=r"^line 41: the anatomy row has 3 cells") as caught:
        split_table_row("Soleus\tTibia\tCalcaneus", expected=4, line_no=41)

    assert caught.value.line_no == 41
    assert "tabs" in caught.value.message


def test_split_table_row_refuses_a_plain_row_it_cannot_split():
    with pytest.raises(ParseError, match=r"^line 12: the anatomy row has 2 cells"):
        split_table_row(
            "Soleus Tibia Calcaneus Tibial nerve", expected=4, line_no=12, first_cell="Soleus"
        )


def test_split_table_row_in_the_seeds_form_needs_the_row_to_start_with_the_muscles_name():
    with pytest.raises(ParseError, match=r"^line 12: the anatomy row must start with"):
        split_table_row(SEED_ROW, expected=4, line_no=12, first_cell="Soleus")


def test_split_table_row_never_misplaces_a_two_word_muscle_name_in_the_seeds_form():
    """The seed's form cannot separate "Tibialis posterior" from its origin by parentheses.

    Either the row is refused (asking for tabs) or the cells are right; never a silently
    wrong origin such as "posterior Tibia and fibula (posterior surfaces)".
    """
    row = (
        "Tibialis posterior Tibia and fibula (posterior surfaces) "
        "Navicular bone (plantar surface) Tibial nerve (L4–L5)"
    )
    expected = [
        "Tibialis posterior",
        "Tibia and fibula (posterior surfaces)",
        "Navicular bone (plantar surface)",
        "Tibial nerve (L4–L5)",
    ]

    try:
        cells = split_table_row(row, expected=4, line_no=118)
    except ParseError:
        return
    assert cells == expected
