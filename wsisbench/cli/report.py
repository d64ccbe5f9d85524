"""``wsisbench report RUNS... --format md|latex|html [--leaderboard NAME] --out DIR``."""
from __future__ import annotations

EPILOG = """\
RUNS are result.json files or run work dirs that contain one. The report has side-by-side tables of our
numbers, the reported numbers and the delta (with protocol and data marked: numbers from the embedded
synthetic benchmark carry a dagger and a banner, they are not comparable to the papers), the papers' own
tables regenerated in their layout, per-class tables, plots (per-class bars, precision-recall curves,
run time and memory) and qualitative overlays where result.json provides them.

examples:
  wsisbench report work_dirs/fickle_net/embedded --format html --out reports/fickle_net
  wsisbench report a/result.json b/result.json --format md --format latex --leaderboard fickle_net --out r/
"""


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser("report", help="tables, plots and paper comparisons from result.json files",
                              description="Write a Markdown, LaTeX or HTML report of one or more runs.",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN", help="result.json file or run work dir")
    p.add_argument("--format", "-f", action="append", choices=["md", "latex", "html"], dest="formats",
                   help="output format; repeat for several (default: md)")
    p.add_argument("--leaderboard", metavar="NAME",
                   help="compare with this leaderboard only and regenerate all of its tables (e.g. maskx_rcnn)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--title", help="report title")
    p.set_defaults(func=run)


def run(args) -> int:
    from wsisbench.reporting.writer import write_report

    written = write_report(args.runs, args.formats or ["md"], args.out, leaderboard=args.leaderboard, title=args.title)
    for path in written:
        print(path)
    return 0
