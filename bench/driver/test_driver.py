"""Unit tests of the benchmark driver's own logic: timing marks, statistics, goals and verdicts,
the exit status and the table. Standard library only; scripts/test.sh runs them with
`python3 -m unittest discover -s bench/driver`."""

from __future__ import annotations

import tempfile
import unittest
from datetime import datetime, timezone
from pathlib import Path

from measure import Samples, first, marks_in, parse_mark
from report import (
    BROKEN,
    CHECK_FAILED,
    GOAL_MISSED,
    MEASURED,
    SCREENS_OF_TILES,
    WINDOWS_SECRET_BYTES,
    Figure,
    details,
    exit_status,
    graph_figures_in,
    graph_library_figures,
    header,
    keyring_checks,
    keyring_use,
    number,
    scroll_tiles_bound,
    storm_checks,
    table,
    verdict,
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


class TimingMarks(unittest.TestCase):
    def test_a_mark_line_gives_its_name_and_time(self):
        mark = parse_mark("2026-12-01T00:17:46.123456Z  INFO photolink_bench: link-received")
        self.assertEqual(mark.name, "link-received")
        self.assertAlmostEqual(mark.at, at("2026-12-01T00:17:46.123456"), places=6)

    def test_colours_around_a_mark_are_ignored(self):
        line = "\x1b[2m2026-12-01T00:17:46.000001Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2mphotolink_bench\x1b[0m: link-received"
        mark = parse_mark(line)
        self.assertIsNotNone(mark)
        self.assertEqual(mark.name, "link-received")

    def test_other_lines_are_not_marks(self):
        for line in (
            "",
            "2026-12-01T00:17:46.123456Z  WARN photolink_bench: link-received",
            "2026-12-01T00:17:46.123456Z  INFO photolink::connection: account connected",
            "2026-12-01T00:17:46.123456Z  INFO photolink_bench: two words",
            "INFO photolink_bench: link-received",
        ):
            self.assertIsNone(parse_mark(line), line)

    def test_marks_in_a_log_since_a_time_in_order(self):
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "app.log"
            log.write_text(
                "2026-12-01T00:00:01.000000Z  INFO photolink_bench: link-received\n"
                "noise\n"
                "2026-12-01T00:00:02.000000Z  INFO photolink_bench: callback-checked\n"
                "2026-12-01T00:00:03.000000Z  INFO photolink_bench: link-received\n"
            )
            marks = marks_in(log, since=at("2026-12-01T00:00:01.500000"))
            self.assertEqual([mark.name for mark in marks], ["callback-checked", "link-received"])
            self.assertEqual(first(marks, "link-received").at, at("2026-12-01T00:00:03"))
            self.assertIsNone(first(marks, "connected-sent"))
            self.assertEqual(marks_in(Path(folder) / "absent.log"), [])


class Statistics(unittest.TestCase):
    def test_median_and_spread(self):
        samples = Samples()
        for value in (5.0, 1.0, 9.0, 3.0):
            samples.add(value)
        self.assertEqual(samples.median, 4.0)
        self.assertEqual(samples.spread(), (1.0, 9.0))
        self.assertTrue(samples)
        self.assertFalse(Samples())


def storm_run(**changes) -> dict:
    run = {"calls": 1000, "succeeded": 1000, "refresh_requests": 1, "token_requests": 1, "refresh_reuse_detected": 0}
    run.update(changes)
    return run


class Goals(unittest.TestCase):
    def test_a_single_flight_storm_holds_every_check(self):
        figure = Figure("storm", "token requests", "")
        storm_checks(figure, [storm_run(), storm_run()])
        self.assertEqual(figure.failed_checks, [])
        self.assertEqual(len(figure.checks), 4)

    def test_any_run_breaking_single_flight_fails(self):
        for broken in (
            {"token_requests": 2},
            {"refresh_requests": 0},
            {"refresh_requests": 2},
            {"succeeded": 999},
            {"refresh_reuse_detected": 1},
        ):
            figure = Figure("storm", "token requests", "")
            storm_checks(figure, [storm_run(), storm_run(**broken)])
            self.assertEqual(len(figure.failed_checks), 1, broken)

    def test_a_storm_without_runs_does_not_pass(self):
        figure = Figure("storm", "token requests", "")
        storm_checks(figure, [])
        self.assertTrue(figure.failed_checks)

    def test_the_scroll_bound_counts_screens_of_tiles(self):
        # 4 columns, a 600 px viewport of 250 px rows: 3 rows are at least partly shown, 4 with
        # the one entering.
        bound = scroll_tiles_bound({"columns": 4, "viewport": 600, "row_height": 250})
        self.assertEqual(bound, SCREENS_OF_TILES * 4 * 4)


def graph_run(**changes) -> dict:
    run = {
        "photos": 10000,
        "folders": 500,
        "nested": {"first_page_ms": 300.0, "all_pages_ms": 400.0, "requests": 13, "photos": 10000, "newest_first": True},
        "flat": {"first_page_ms": 250.0, "all_pages_ms": 300.0, "requests": 13, "photos": 10000, "newest_first": True},
        "walk_nested": {"all_pages_ms": 900.0, "requests": 502, "photos": 10000},
        "walk_flat": {"all_pages_ms": 500.0, "requests": 104, "photos": 10000},
        "second_start": {"first_page_ms": 80.0, "requests": 1, "changes_shown": True},
        "resident_growth_kib": 20480,
        "saved_library_kib": 5120,
    }
    for key, value in changes.items():
        run[key] = {**run[key], **value} if isinstance(value, dict) else value
    return run


class GraphLibrary(unittest.TestCase):
    def test_the_figures_line_is_found_among_the_test_output(self):
        output = "running 1 test\ngraph-library-figures {\"photos\": 3}\ntest ... ok\n"
        self.assertEqual(graph_figures_in(output), {"photos": 3})
        with self.assertRaises(ValueError):
            graph_figures_in("running 1 test\n")

    def test_good_runs_hold_every_check_and_the_ratio_is_judged(self):
        listing, second, memory = graph_library_figures([graph_run(), graph_run()])
        self.assertEqual(listing.failed_checks + second.failed_checks, [])
        self.assertTrue(listing.passes)
        self.assertEqual(listing.baseline.median, 300.0)
        self.assertEqual(second.samples.median, 1)
        self.assertEqual(memory.samples.median, 20.0)
        self.assertEqual(memory.split["the saved library on disk"].median, 5.0)
        slow = graph_library_figures([graph_run(nested={"all_pages_ms": 601.0})])[0]
        self.assertFalse(slow.passes, "more than twice one folder's time")

    def test_a_second_start_that_fetches_more_than_the_changes_fails(self):
        for broken in ({"requests": 13}, {"changes_shown": False}):
            _, second, _ = graph_library_figures([graph_run(), graph_run(second_start=broken)])
            self.assertEqual(len(second.failed_checks), 1, broken)

    def test_a_photo_missing_or_out_of_order_fails_the_listing(self):
        for broken in ({"photos": 9999}, {"newest_first": False}):
            listing, _, _ = graph_library_figures([graph_run(nested=broken)])
            self.assertEqual(len(listing.failed_checks), 1, broken)

    def test_no_runs_hold_no_check(self):
        listing, second, _ = graph_library_figures([])
        self.assertTrue(listing.failed_checks and second.failed_checks)


class ExitStatus(unittest.TestCase):
    def figures(self, passes=True, held=True) -> list[Figure]:
        timed = Figure("timed", "ms", "≤ 1 ms", passes=passes)
        checked = Figure("checked", "", "")
        checked.check("reaches the end", held, "0 of 1 runs")
        return [timed, checked]

    def test_everything_met(self):
        self.assertEqual(exit_status(self.figures(), [], quick=False), MEASURED)

    def test_a_missed_timing_goal_fails_only_full_runs(self):
        self.assertEqual(exit_status(self.figures(passes=False), [], quick=False), GOAL_MISSED)
        self.assertEqual(exit_status(self.figures(passes=False), [], quick=True), MEASURED)

    def test_a_failed_correctness_goal_fails_every_mode(self):
        self.assertEqual(exit_status(self.figures(held=False), [], quick=True), CHECK_FAILED)
        self.assertEqual(exit_status(self.figures(passes=False, held=False), [], quick=False), CHECK_FAILED)

    def test_a_broken_figure_comes_first(self):
        self.assertEqual(exit_status(self.figures(held=False), ["scroll: no window"], quick=True), BROKEN)

    def test_the_failing_statuses_differ_from_success(self):
        self.assertEqual(len({MEASURED, BROKEN, GOAL_MISSED, CHECK_FAILED}), 4)


class Table(unittest.TestCase):
    def test_verdicts(self):
        timed = Figure("f", "ms", "≤ 50 ms median", passes=False)
        self.assertEqual(verdict(timed, quick=False), "≤ 50 ms median: **missed**")
        self.assertEqual(verdict(timed, quick=True), "≤ 50 ms median: **missed** (not enforced)")
        timed.passes = True
        self.assertEqual(verdict(timed, quick=False), "≤ 50 ms median: met")
        checked = Figure("g", "", "counted")
        checked.check("reaches the end", True)
        checked.check("DOM tiles ≤ 4 screens", False, "most tiles / bound per run: 900 / 64")
        self.assertEqual(
            verdict(checked, quick=True),
            "counted; reaches the end: held; DOM tiles ≤ 4 screens: **failed** (most tiles / bound per run: 900 / 64)",
        )

    def test_numbers_by_unit(self):
        self.assertEqual(number(0.6304, "s"), "0.630 s")
        self.assertEqual(number(472.84, "ms"), "472.8 ms")
        self.assertEqual(number(5.524, "MiB"), "5.52 MiB")
        self.assertEqual(number(379.4, "MiB"), "379 MiB")
        self.assertEqual(number(48.4, "/s"), "48/s")
        self.assertEqual(number(1.0, "token requests"), "1")

    def test_a_row_with_its_baseline_ratio_and_the_splits_below(self):
        figure = Figure("link → connected", "ms", "≤ 50 ms median", passes=False)
        for value in (100.0, 200.0, 300.0):
            figure.samples.add(value)
        figure.baseline, figure.baseline_name = Samples([40.0, 50.0, 60.0]), "minimal login program"
        figure.split = {"token request": Samples([10.0, 20.0, 30.0]), "never seen": Samples()}
        figure.notes.append("a note")
        broken = Figure("scroll", "", "counted", missing="broken: no window")
        lines = table([figure, broken], quick=False)
        self.assertEqual(
            lines[2],
            "| link → connected | 200.0 ms | 100.0 ms – 300.0 ms | 3 | ≤ 50 ms median: **missed** "
            "| minimal login program: 50.0 ms | 4.00× |",
        )
        self.assertEqual(lines[3], "| scroll | n/a | | | counted | | |")
        below = details([figure, broken])
        self.assertIn("| token request | 20.0 ms | 10.0 ms – 30.0 ms |", below)
        self.assertNotIn("never seen", "\n".join(below))
        self.assertIn("- a note", below)

    def test_the_header_says_what_quick_mode_enforces(self):
        host = {"cpu": "CPU", "cores": "2", "memory": "1 GiB", "kernel": "Linux", "load": "0 0 0"}
        quick = header("2026-12-07 00:00 UTC", "abc1234", True, 1, 12.0, host)[0]
        self.assertIn("correctness goals enforced", quick)
        full = header("2026-12-07 00:00 UTC", "abc1234", False, 5, 12.0, host)[0]
        self.assertIn("5 runs of each figure", full)



class KeyringUsePerAccount(unittest.TestCase):
    ITEMS = {
        "oauth-tokens": '{"generation":"00aa","parts":2}',
        "oauth-tokens.00aa.0": "x" * 1000,
        "oauth-tokens.00aa.1": "é" * 10,
        "oauth-tokens-1": '{"generation":"11bb","parts":1}',
        "oauth-tokens-1.11bb.0": "y" * 1280,
        "provider-metadata-key": "k",
        "sign-in": "s",
    }

    def test_entries_are_counted_per_account_and_the_rest_named(self):
        accounts, shared = keyring_use(self.ITEMS)
        self.assertEqual(sorted(accounts), [0, 1])
        self.assertEqual(accounts[0].entries, 3)
        self.assertEqual(accounts[0].bytes, len(self.ITEMS["oauth-tokens"]) + 1000 + 20)
        self.assertEqual(accounts[1].entries, 2)
        self.assertEqual(accounts[1].largest_utf16, 2560)
        self.assertEqual(shared, ["provider-metadata-key", "sign-in"])

    def test_an_entry_over_windows_limit_fails_the_check(self):
        accounts, _ = keyring_use({**self.ITEMS, "oauth-tokens-1.11bb.0": "y" * 1281})
        figure = Figure("keyring", "bytes", "report")
        keyring_checks(figure, accounts, 2)
        self.assertEqual([check.held for check in figure.checks], [True, False])
        self.assertIn(f"{WINDOWS_SECRET_BYTES:,}", figure.checks[1].goal)

    def test_a_missing_account_fails_the_check(self):
        accounts, _ = keyring_use(self.ITEMS)
        figure = Figure("keyring", "bytes", "report")
        keyring_checks(figure, accounts, 10)
        self.assertFalse(figure.checks[0].held)
        self.assertEqual(figure.checks[0].seen, "2 accounts")

if __name__ == "__main__":
    unittest.main()
