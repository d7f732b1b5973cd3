"""`python -m etl.report [WEEK] [--send]`: build (re-issue) one week's report outside Airflow.

WEEK is `2026-W46` or any date in the week; without it, the week just ended (local time). The report
goes to the archive folder (CAMPAIGN_REPORT_DIR); `--send` e-mails it through the connection in
AIRFLOW_CONN_SMTP_DEFAULT to CAMPAIGN_REPORT_RECIPIENTS.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from etl import config, warehouse
from etl.weeks import parse_week, week_just_ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.report", description=__doc__.splitlines()[0])
    parser.add_argument("week", nargs="?", help="ISO week (2026-W46) or a date in it; default: the week just ended")
    parser.add_argument("--out", type=Path, default=None, help="archive folder (default: CAMPAIGN_REPORT_DIR)")
    parser.add_argument("--send", action="store_true", help="e-mail it through AIRFLOW_CONN_SMTP_DEFAULT")
    parser.add_argument("--no-publish", action="store_true", help="a preview: record no published figures")
    args = parser.parse_args(argv)

    from etl.report import build_weekly_report, send_weekly_report

    now = datetime.now(UTC)
    week_start = parse_week(args.week) if args.week else week_just_ended(now)
    engine = warehouse.create_engine()
    try:
        result = build_weekly_report(engine, week_start, args.out or config.report_dir(), published_at=now,
                                     publish=not args.no_publish)
    finally:
        engine.dispose()
    print(f"{result.subject}: {', '.join(str(p) for p in result.files)}")
    if result.restatements:
        print(f"{len(result.restatements)} figure(s) restated (更正), e.g.:")
        for r in result.restatements[:10]:
            print(f"  {r.label}: {r.old} -> {r.new}")
    if args.send:
        recipients = config.report_recipients()
        message_id = send_weekly_report(result, config.source_config("smtp_default"), recipients)
        print(f"sent {message_id} to {', '.join(recipients)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
