#!/usr/bin/python3
"""The benchmarks of ngx_scep; bench/README.md says what each one shows.

    /usr/bin/python3 bench/run.py [--quick] [--only NAME[,NAME]] [--profile]

NAME: logins, loop, enroll.  --quick: 1 s warm-up and 3 s measurements
instead of 2 s and 10 s.  --profile: after the logins benchmark, record
one nginx worker with perf and print where its CPU goes.  The module must
be built first (make module; "make bench" does it).  Every process
started here is ended when the run ends, also on Ctrl-C or SIGTERM.
"""

import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import common            # noqa: E402
import bench_enroll      # noqa: E402
import bench_logins      # noqa: E402
import bench_loop        # noqa: E402

BENCHMARKS = (
    ("logins", bench_logins.run),
    ("loop", bench_loop.run),
    ("enroll", bench_enroll.run),
)


def main():
    names = [name for name, _ in BENCHMARKS]
    parser = argparse.ArgumentParser(
        description="ngx_scep benchmarks (see bench/README.md)")
    parser.add_argument("--quick", action="store_true",
                        help="1 s warm-up and 3 s per measurement")
    parser.add_argument("--only", metavar="NAME[,NAME]",
                        help="run only these: " + ", ".join(names))
    parser.add_argument("--profile", action="store_true",
                        help="also record one nginx worker with perf "
                             "during logins and print where its CPU goes")
    args = parser.parse_args()

    selected = names
    if args.only:
        selected = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in selected if n not in names]
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; "
                         f"choose from {', '.join(names)}")

    if not os.path.exists(common.nginx.MODULE):
        print(f"{common.nginx.MODULE} is missing: run 'make module' first",
              file=sys.stderr)
        return 2

    common.interrupt_on_signals()
    settings = common.Settings(quick=args.quick)

    common.heading("ngx_scep benchmarks" + (" (--quick)" if args.quick
                                             else ""))
    common.table(["machine", ""], common.machine_facts(), aligns="ll")
    common.note(f"module: {common.module_facts()}")

    started = time.monotonic()
    failed = []
    try:
        for name, run in BENCHMARKS:
            if name not in selected:
                continue
            try:
                run(settings)
                if name == "logins" and args.profile:
                    bench_logins.profile(settings)
            except KeyboardInterrupt:
                raise
            except Exception:
                failed.append(name)
                print(f"\n{name}: FAILED", file=sys.stderr)
                traceback.print_exc()
    except KeyboardInterrupt:
        print("\ninterrupted: every process started here has been stopped",
              file=sys.stderr)
        return 130
    finally:
        common.cleanup_tempdirs(keep=bool(failed))

    print()
    common.note(f"load average {common.load_average()} at the end; "
                f"{time.monotonic() - started:.0f} s in all")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
