"""`python -m simulator serve|drop-files|bench`: run the source simulator, write drop files, measure connectors."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, datetime, timedelta, timezone


def _dataset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference", help="reference set folder (default: the configured one)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 9, 7), help="campaign Monday")
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--tickets", type=int, help="number of hotline tickets (default ~40 a day)")
    parser.add_argument("--events", type=int, help="number of events (default ~25 a week)")
    parser.add_argument("--findings", type=int, help="number of inspection findings (default ~60 a week)")


def _generate(args: argparse.Namespace):
    from simulator.generator import generate

    return generate(args.seed, reference=args.reference, start=args.start, weeks=args.weeks,
                    n_tickets=args.tickets, n_events=args.events, n_findings=args.findings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the hotline, Open311 and events APIs")
    _dataset_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--now", type=datetime.fromisoformat, help="fix the clock (default: everything visible)")
    serve.add_argument("--token", help="require this bearer token (native and events APIs)")
    serve.add_argument("--basic", help="require this login:password (native and events APIs)")
    serve.add_argument("--api-key", help="require this Open311 api_key")
    serve.add_argument("--faults", default="{}", help='fault settings as JSON, e.g. \'{"error_rate": 0.1}\'')
    serve.add_argument("--max-page-size", type=int, default=1000, help="largest page the APIs give")

    drop = commands.add_parser("drop-files", help="write the supervision groups' sheets")
    _dataset_args(drop)
    drop.add_argument("--out", required=True)
    drop.add_argument("--until", type=date.fromisoformat, help="only weeks whose Sunday is on or before this day")
    drop.add_argument("--with-bad-file", action="store_true", help="add a sheet with no findings table")

    bench = commands.add_parser("bench", help="records/s of each connector against the simulator")
    _dataset_args(bench)
    bench.add_argument("--page-size", type=int, default=1000)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "serve":
        from simulator.server import Auth, Faults, SimulatorServer

        login, _, password = (args.basic or "").partition(":")
        auth = Auth(token=args.token, basic=(login, password) if args.basic else None, api_key=args.api_key)
        dataset = _generate(args)
        server = SimulatorServer(dataset, host=args.host, port=args.port, auth=auth,
                                 faults=Faults(**json.loads(args.faults)), now=args.now,
                                 max_page_size=args.max_page_size)
        print(f"simulator on {server.base_url} (seed {args.seed}: {len(dataset.hotline.versions)} ticket versions, "
              f"{len(dataset.events.versions)} event versions); Ctrl-C to stop", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0

    if args.command == "drop-files":
        from simulator.drop_files import write_drop_files

        paths = write_drop_files(_generate(args), args.out, args.until, with_bad_file=args.with_bad_file)
        print(f"{len(paths)} drop files in {args.out}")
        return 0

    from simulator.bench import run_bench

    forwarded = [f"--seed={args.seed}", f"--start={args.start}", f"--weeks={args.weeks}"]
    forwarded += [f"--{name}={value}" for name in ("reference", "tickets", "events", "findings")
                  if (value := getattr(args, name)) is not None]
    start = datetime(args.start.year, args.start.month, args.start.day, tzinfo=timezone(timedelta(hours=8)))
    run_bench(forwarded, start=start, weeks=args.weeks, page_size=args.page_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
