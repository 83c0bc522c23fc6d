#!/usr/bin/python3
"""Opens the HTML conformance matrix (`ftpspec report … --html`) from disk in headless Chromium
and checks what a person gets: the columns and cells, the totals against the JSON summaries,
cells that open with the mouse and with the keyboard, the text and verdict filters, the hostile
banner shown as text with nothing injected, no request to anything, and a page that still reads
with JavaScript off.

Usage: check_matrix.py PAGE.html REPORT.json... --hostile N --shots DIR
The reports are the files the page was made from, in column order; --hostile names (1-based)
the column whose server sent markup in its greeting. Needs Debian's chromium, chromium-driver
and python3-selenium (scripts/browser/run installs them). Exit 0 when every check holds, 1 with
a line per failed check otherwise, 2 when the browser cannot be started."""

import argparse
import json
import pathlib
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 10  # seconds for anything the page does; every wait is bounded
MARKS = ["PASS", "FAIL", "WARN", "INFO", "SKIP", "BLOCKED", "ERROR", "XFAIL", "XPASS"]


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failed.append(what)
            print(f"  FAIL  {what}" + (f": {detail}" if detail else ""))
        return condition


def mark(scenario):
    status = (scenario.get("expectation") or {}).get("status")
    return {"expected": "XFAIL", "unexpected-pass": "XPASS"}.get(status, scenario["verdict"])


# Tries to start the browser: chromedriver has been seen to exit at start once in a while
# ("Service /usr/bin/chromedriver unexpectedly exited. Status code was: 1"), and pass at once
# when started again.
STARTS = 3


def browser(javascript=True):
    for attempt in range(1, STARTS + 1):
        try:
            return start_browser(javascript)
        except WebDriverException as e:
            if attempt == STARTS:
                raise
            print(f"check_matrix: Chromium did not start ({e.msg.strip()}); trying again",
                  file=sys.stderr)
            time.sleep(attempt)


def start_browser(javascript):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--allow-file-access-from-files"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(WAIT * 3)
    return driver


def wait(driver, predicate):
    try:
        WebDriverWait(driver, WAIT).until(lambda d: predicate())
        return True
    except TimeoutException:
        return False


def seen(driver, element):
    """Whether the element is rendered: Selenium's is_displayed does not see that the content
    of a closed <details> is not."""
    return driver.execute_script("return arguments[0].checkVisibility()", element)


def click(driver, element):
    """Clicks the element in the middle of the window, not under the sticky column heads."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def visible_rows(driver):
    return [r for r in driver.find_elements(By.CSS_SELECTOR, "tr.row") if r.is_displayed()]


def check_page(driver, c, reports, hostile, shots):
    rows = {}  # id -> list of marks per column (None: not in that run)
    for i, report in enumerate(reports):
        for s in report["scenarios"]:
            rows.setdefault(s["id"], [None] * len(reports))[i] = (mark(s), s)
    labels = [r["run"].get("label") or r["run"]["target"] for r in reports]

    c.check(wait(driver, lambda: driver.find_element(By.ID, "shown").text != ""),
            "the script ran (the filter status is filled in)")
    heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "th.col-head")]
    c.check(heads == labels, f"{len(labels)} columns, headed by label or target", heads)
    dom_rows = driver.find_elements(By.CSS_SELECTOR, "tr.row")
    c.check(len(dom_rows) == len(rows), f"{len(rows)} rows, the union of the scenario IDs",
            len(dom_rows))
    cells = driver.find_elements(By.CSS_SELECTOR, "td.cell")
    c.check(len(cells) == len(rows) * len(reports), f"{len(rows) * len(reports)} cells", len(cells))
    missing = sum(1 for marks in rows.values() for m in marks if m is None)
    c.check(len(driver.find_elements(By.CSS_SELECTOR, "td.cell.v-none")) == missing,
            f"{missing} cells say 'not in this run'")

    # Totals: the page counts XFAIL and XPASS apart; with them folded back into their verdicts
    # they must be the JSON summary's counts.
    for i, report in enumerate(reports, start=1):
        shown = {li.get_attribute("data-verdict"): int(li.get_attribute("data-count"))
                 for li in driver.find_elements(
                     By.CSS_SELECTOR, f"tr.totals td[data-column='{i}'] li.count")}
        summary = report["summary"]
        folded = dict(shown)
        for s in report["scenarios"]:
            if mark(s) in ("XFAIL", "XPASS"):
                folded[s["verdict"]] = folded.get(s["verdict"], 0) + 1
        expect = {m: summary[m.lower()] for m in MARKS[:7] if summary[m.lower()]}
        ok = ({k: v for k, v in folded.items() if k not in ("XFAIL", "XPASS")} == expect
              and shown.get("XFAIL", 0) == summary.get("expected", 0)
              and shown.get("XPASS", 0) == summary.get("unexpected_pass", 0)
              and sum(shown.values()) == summary["total"])
        c.check(ok, f"column {i} totals match its JSON summary {expect}", shown)

    # Every cell is reachable with Tab: the first one follows the filters.
    driver.find_element(By.ID, "reset").send_keys(Keys.TAB)
    first = driver.find_element(By.CSS_SELECTOR, "td.cell summary")
    c.check(driver.switch_to.active_element == first, "Tab from the filters reaches the first cell")

    # A FAIL cell says FAIL in words, and opens with a click: requirement and transcript.
    fail = driver.find_element(By.CSS_SELECTOR, "td.cell.v-fail")
    summary_el = fail.find_element(By.TAG_NAME, "summary")
    c.check(summary_el.text.startswith("FAIL"), "a FAIL cell reads FAIL without colour",
            summary_el.text)
    transcript = fail.find_element(By.CSS_SELECTOR, "pre.transcript")
    c.check(not seen(driver, transcript), "its transcript is hidden until it is opened")
    click(driver, summary_el)
    c.check(wait(driver, lambda: seen(driver, transcript)) and "control" in transcript.text,
            "a click opens the cell and shows the transcript")
    requirement = fail.find_element(By.CSS_SELECTOR, ".requirement")
    c.check(seen(driver, requirement) and "MUST" in requirement.text,
            "the open cell shows the requirement sentence", requirement.text[:80])
    driver.save_screenshot(str(shots / "open-cell.png"))

    # The keyboard: Enter on a focused cell opens it (and closes the other), Escape closes it
    # and gives the focus back; the focus is visible.
    other = driver.find_elements(By.CSS_SELECTOR, "td.cell.v-xfail summary") or \
        driver.find_elements(By.CSS_SELECTOR, "td.cell.v-pass summary")
    key_summary = other[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", key_summary)
    key_summary.send_keys(Keys.ENTER)
    key_details = key_summary.find_element(By.XPATH, "..")
    c.check(wait(driver, lambda: key_details.get_attribute("open") is not None),
            "Enter on a focused cell opens it")
    c.check(fail.find_element(By.TAG_NAME, "details").get_attribute("open") is None,
            "opening one cell closes the one open before")
    c.check(seen(driver, driver.find_element(By.CSS_SELECTOR, "td.cell details[open] pre, "
                                             "td.cell details[open] .no-transcript")),
            "its transcript (or the note that there is none) is visible")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    c.check(wait(driver, lambda: key_details.get_attribute("open") is None),
            "Escape closes it")
    focused = driver.switch_to.active_element
    c.check(focused == key_summary, "and the focus is back on the cell")
    outline = driver.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle")
    c.check(outline not in ("none", ""), "the focused cell has a visible outline", outline)
    click(driver, summary_el)
    fail_details = fail.find_element(By.TAG_NAME, "details")
    wait(driver, lambda: fail_details.get_attribute("open") is not None)
    click(driver, fail.find_element(By.CSS_SELECTOR, ".close"))
    c.check(wait(driver, lambda: fail_details.get_attribute("open") is None),
            "the Close button closes an open cell")

    # Filters: text, then verdict, then reset.
    query = driver.find_element(By.ID, "q")
    word = "delimiter"
    expect = [i for i, marks in rows.items() if word in (i + " " + next(
        m[1]["title"] for m in marks if m)).lower()]
    query.send_keys(word)
    c.check(wait(driver, lambda: len(visible_rows(driver)) == len(expect)),
            f"the text filter '{word}' leaves {len(expect)} of {len(rows)} rows",
            len(visible_rows(driver)))
    hidden_areas = [a for a in driver.find_elements(By.CSS_SELECTOR, "tbody.area")
                    if not a.is_displayed()]
    c.check(hidden_areas, "areas without a matching row are hidden")
    click(driver, driver.find_element(By.ID, "reset"))
    c.check(wait(driver, lambda: len(visible_rows(driver)) == len(rows)), "Show all resets")

    with_fail = [i for i, marks in rows.items() if any(m and m[0] == "FAIL" for m in marks)]
    for box in driver.find_elements(By.CSS_SELECTOR, "#filters input[name=verdict]"):
        if box.get_attribute("value") != "fail":
            click(driver, box)
    c.check(wait(driver, lambda: len(visible_rows(driver)) == len(with_fail)),
            f"the verdict filter FAIL leaves the {len(with_fail)} rows with a FAIL",
            len(visible_rows(driver)))
    shown_marks = {cell.get_attribute("data-verdict") for r in visible_rows(driver)
                   for cell in r.find_elements(By.CSS_SELECTOR, "td.cell")}
    c.check("FAIL" in shown_marks, "and each of them shows FAIL")
    driver.save_screenshot(str(shots / "filtered.png"))
    click(driver, driver.find_element(By.ID, "reset"))
    wait(driver, lambda: len(visible_rows(driver)) == len(rows))

    differ = [i for i, marks in rows.items() if len({m and m[0] for m in marks}) > 1]
    click(driver, driver.find_element(By.ID, "differ"))
    c.check(wait(driver, lambda: len(visible_rows(driver)) == len(differ)),
            f"'only rows where the targets differ' leaves {len(differ)} rows",
            len(visible_rows(driver)))
    click(driver, driver.find_element(By.ID, "reset"))
    wait(driver, lambda: len(visible_rows(driver)) == len(rows))

    # The hostile server's banner and replies: text, never markup.
    banner = reports[hostile - 1]["run"]["banner"]
    banners = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "code.banner")]
    c.check(len(banners) == len(reports) and banners[hostile - 1] == banner,
            "the hostile banner is shown as literal text", repr(banners[hostile - 1:hostile]))
    c.check(driver.execute_script("return typeof window.pwned") == "undefined",
            "window.pwned is undefined: nothing the server sent ran")
    c.check(not driver.find_elements(By.CSS_SELECTOR, "img, iframe, object, embed, i, [onerror]"),
            "no element the server's text named exists")
    c.check(len(driver.find_elements(By.TAG_NAME, "script")) == 1, "one script: the page's own")
    texts = driver.execute_script(
        "return Array.from(document.querySelectorAll('pre.transcript'))"
        ".map(p => p.textContent).join('\\n')")
    c.check('500 <img src=x onerror="window.pwned=2">' in texts,
            "the hostile replies are in the transcripts as text")

    # Nothing outside the file: every src/href is a fragment or absent, nothing was fetched,
    # and the Content-Security-Policy forbids it anyway.
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href],[action],[srcset]'))"
        ".map(e => e.outerHTML.slice(0, 80))")
    c.check(not links, "no element has a src, href, action or srcset", links)
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    c.check(not fetched, "the page requested no resource", fetched)
    csp = driver.execute_script(
        "var m = document.querySelector('meta[http-equiv=Content-Security-Policy]');"
        "return m && m.content")
    c.check(bool(csp) and csp.startswith("default-src 'none'"),
            "a Content-Security-Policy forbids every other source", csp)
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    c.check(not errors, "the console has no errors (a blocked script would be one)", errors)


def check_without_javascript(driver, c, page, rows):
    driver.get(page.as_uri())
    c.check(len(visible_rows(driver)) == rows, "without JavaScript every row is shown")
    c.check(not driver.find_element(By.ID, "filters").is_displayed(),
            "and the filters, which need it, are not")
    fail = driver.find_element(By.CSS_SELECTOR, "td.cell.v-fail")
    transcript = fail.find_element(By.CSS_SELECTOR, "pre.transcript")
    hidden_before = not seen(driver, transcript)
    click(driver, fail.find_element(By.TAG_NAME, "summary"))
    c.check(hidden_before and wait(driver, lambda: seen(driver, transcript)),
            "a cell still opens: <details> needs no script")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=pathlib.Path)
    parser.add_argument("reports", type=pathlib.Path, nargs="+")
    parser.add_argument("--hostile", type=int, required=True)
    parser.add_argument("--shots", type=pathlib.Path, required=True)
    args = parser.parse_args()
    reports = []
    for path in args.reports:
        doc = json.loads(path.read_text(encoding="utf-8"))
        # A several-target run's document holds a report per target, in column order.
        reports.extend(doc["targets"] if doc.get("schema") == "ftpspec-matrix" else [doc])
    page = args.page.resolve()
    args.shots.mkdir(parents=True, exist_ok=True)
    rows = len({s["id"] for r in reports for s in r["scenarios"]})
    c = Checks()
    try:
        driver = browser()
    except WebDriverException as e:
        print(f"check_matrix: cannot start headless Chromium: {e.msg}", file=sys.stderr)
        return 2
    try:
        driver.get(page.as_uri())
        print(f"{page.as_uri()} ({page.stat().st_size} bytes) in {driver.capabilities['browserName']}"
              f" {driver.capabilities['browserVersion']}")
        driver.save_screenshot(str(args.shots / "page.png"))
        check_page(driver, c, reports, args.hostile, args.shots)
    except WebDriverException as e:
        c.check(False, "the checks ran to the end", f"{type(e).__name__}: {e.msg}")
    finally:
        driver.quit()
    driver = browser(javascript=False)
    try:
        check_without_javascript(driver, c, page, rows)
    except WebDriverException as e:
        c.check(False, "the checks without JavaScript ran to the end",
                f"{type(e).__name__}: {e.msg}")
    finally:
        driver.quit()
    print(f"browser check: {c.passed} passed, {len(c.failed)} failed")
    for what in c.failed:
        print(f"check_matrix: failed: {what}", file=sys.stderr)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
