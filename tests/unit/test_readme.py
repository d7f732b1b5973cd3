"""The README's BI section is the mart files' own documentation, so it cannot drift from the views."""

import re

from etl import models
from etl.config import REPO_ROOT

START, END = "<!-- bi-views:start -->", "<!-- bi-views:end -->"


def test_readme_bi_section_matches_the_mart_files() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(re.escape(START) + r"\n(.*)" + re.escape(END), readme, re.S)
    assert section, "README.md lacks the generated BI section markers"
    assert section.group(1) == models.bi_views_markdown(), "regenerate: python -m etl.models bi-docs"


def test_readme_names_the_two_commands_first() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("make demo") < readme.index("## Configuration")
    assert readme.index("make test") < readme.index("## Configuration")
