"""Issue 24: one separator convention for eps lists, in advgui-cli study as in the window."""

from __future__ import annotations

import pytest

from advgui.cli.main import build_parser
from advgui.cli.study import study_config


@pytest.mark.parametrize("given", [["4", "8"], ["4,8"], ["4,", "8"], ["4;8"]])
def test_study_takes_spaces_and_commas(tmp_path, given) -> None:
    args = build_parser().parse_args(["study", str(tmp_path), "--out", str(tmp_path / "o"),
                                      "--eps", *given])
    assert study_config(args).eps == (4.0, 8.0)


def test_a_word_in_the_list_is_named(tmp_path) -> None:
    args = build_parser().parse_args(["study", str(tmp_path), "--out", str(tmp_path / "o"),
                                      "--eps", "4", "eight"])
    with pytest.raises(ValueError, match="'eight' is not a number"):
        study_config(args)
