#!/usr/bin/python3
"""Sums up the logs that AddressSanitizer and UBSan wrote (log_path=...)
during a run, and says which reports are incomplete.

Every report the sanitizers write ends with a "SUMMARY:" line (before
AddressSanitizer's shadow-byte dump).  A report without one was cut
short: the process died in the middle of writing it (a second crash,
the master's SIGKILL, a worker that left with _exit() while another
thread was reporting), so its stack is missing or partial and the fault
it reports may not be the whole story.

    /usr/bin/python3 tools/sanitizer_logs.py LOG_DIR

Prints one line per log file (its reports, complete or not) and exits 0
when there is no log at all, 1 otherwise (any report fails a run), with
a line saying INCOMPLETE when a report lacks its SUMMARY line.
"""

import os
import re
import sys

# the first line of a report
REPORT_START = re.compile(
    r"^==\d+==ERROR: "                  # AddressSanitizer, LeakSanitizer
    r"|^==\d+==\w+Sanitizer CHECK failed"  # the sanitizer's own failure
    r"|: runtime error: ")              # UBSan
SUMMARY = re.compile(r"^SUMMARY: ")


def reports(text):
    """[(first line, complete)] of each report in a log's text; a log
    with text but no report start counts as one incomplete report."""
    found = []
    for line in text.splitlines():
        if REPORT_START.search(line):
            found.append([line.strip(), False])
        elif SUMMARY.match(line) and found:
            found[-1][1] = True
    if not found and text.strip():
        found.append([text.strip().splitlines()[0], False])
    return [tuple(r) for r in found]


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(empty)"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: sanitizer_logs.py LOG_DIR", file=sys.stderr)
        return 2
    log_dir = argv[1]
    names = sorted(os.listdir(log_dir)) if os.path.isdir(log_dir) else []
    if not names:
        return 0
    incomplete = []
    print(f"sanitizer logs in {log_dir}:")
    for name in names:
        path = os.path.join(log_dir, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        found = reports(text)
        cut = [first for first, complete in found if not complete]
        line = (f"  {name}: {len(found)} report(s), "
                f"{len(found) - len(cut)} complete")
        if cut:
            pid = name.rsplit(".", 1)[-1]
            line += (f"; {len(cut)} without a SUMMARY: line: process "
                     f"{pid} died in the middle of its report (the log "
                     f"ends with: {last_line(text)[:120]})")
            incomplete.append(name)
        print(line)
    if incomplete:
        print(f"INCOMPLETE sanitizer reports in {', '.join(incomplete)}: "
              "a process died while writing them")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
