"""The e2e run fails unless the whole selected suite ran and passed (conftest's `suite_problems`)."""

from __future__ import annotations

from conftest import suite_problems


def test_a_whole_passing_run_has_no_problem():
    assert suite_problems(selected=5, deselected=0, named=[], passed=5, ci=True, expected=None) == []


def test_skipped_or_unfinished_tests_fail_the_run():
    assert suite_problems(selected=5, deselected=0, named=[], passed=4, ci=False, expected=None) == [
        "only 4 of the 5 selected tests ran and passed"
    ]


def test_a_selection_under_ci_fails_the_run():
    assert suite_problems(selected=2, deselected=3, named=[], passed=2, ci=True, expected=None) == [
        "CI=true runs the whole suite, but a selection narrowed it (3 deselected)"
    ]
    assert suite_problems(selected=1, deselected=0, named=["test_dpop.py"], passed=1, ci=True, expected=None) == [
        "CI=true runs the whole suite, but a selection narrowed it (only test_dpop.py named)"
    ]
    # Outside CI a developer may run a subset.
    assert suite_problems(selected=2, deselected=3, named=[], passed=2, ci=False, expected=None) == []


def test_an_expected_count_allows_exactly_that_selection():
    assert suite_problems(selected=3, deselected=9, named=[], passed=3, ci=True, expected="3") == []
    assert suite_problems(selected=2, deselected=9, named=[], passed=2, ci=True, expected="3") == [
        "PHOTOLINK_E2E_EXPECTED_TESTS=3, but 2 tests were selected"
    ]
