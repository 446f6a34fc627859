"""vqa.numbers: the one percent formatter, and the two face numberings people use."""
import pytest

from vqa.numbers import CLI_FACES, PAGE_FACES, FaceIndexError, percent


@pytest.mark.parametrize("p", [0.0, 0.004, 0.005, 0.125, 0.135, 0.5, 0.8749, 0.875, 0.9951, 1.0])
def test_percent_says_what_the_formatters_it_replaced_said(p):
    assert percent(p) == f"{100 * p:.0f}%"  # vqa.answers', vqa.stability's and the Ask tab's
    assert percent(p, 1) == f"{100 * p:.1f}%"  # the Audit tab's and the lab table's


def test_percent_of_nothing_is_said_as_asked():
    assert percent(None) == "n/a" and percent(None, missing="?") == "?"


def test_the_page_counts_faces_from_one_with_zero_for_every_face():
    assert PAGE_FACES.index(0) is None and PAGE_FACES.index(None) is None and PAGE_FACES.index("") is None
    assert [PAGE_FACES.index(k) for k in (1, 2, 3)] == [0, 1, 2]
    assert PAGE_FACES.index(2.0) == 1  # gr.Number may send a float
    assert all(PAGE_FACES.number(PAGE_FACES.index(k)) == k for k in range(1, 6))
    with pytest.raises(FaceIndexError) as caught:
        PAGE_FACES.index(-1)
    assert str(caught.value) == "Face numbers start at 1 (the largest face); 0 means every face."
    assert PAGE_FACES.help == "0: every face; 1: the largest only, 2: the next..."


def test_the_command_line_counts_faces_from_zero_and_leaves_the_number_out_for_every_face():
    assert CLI_FACES.index(None) is None
    assert [CLI_FACES.index(k) for k in (0, 1, 2)] == [0, 1, 2]
    assert all(CLI_FACES.number(CLI_FACES.index(k)) == k for k in range(5))
    with pytest.raises(FaceIndexError, match=r"start at 0 \(the largest face\); without --face, every face"):
        CLI_FACES.index(-1)


def test_both_numberings_name_the_same_largest_face():
    assert CLI_FACES.index(0) == PAGE_FACES.index(1) == 0
    assert issubclass(FaceIndexError, ValueError)
