"""The ``nemo-nb`` command: ``nemo-nb serve`` runs the embedded backend."""
from __future__ import annotations

import argparse
import sys

from nemo_nb._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nemo-nb", description="nemo_nb: NemoVideo from Jupyter.")
    parser.add_argument("--version", action="version", version=f"nemo-nb {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the embedded backend on 127.0.0.1 (the default command)")
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: a free one; default 8765)")
    serve.add_argument("--data-dir", default=None, help="where state and media live (default: user data dir)")
    serve.add_argument("--credits", type=int, default=None, metavar="N",
                       help="credits of a new user, and existing users are topped up to N (new users get 100 "
                            "without it)")
    serve.add_argument("--sse-dialect", choices=("canonical", "adk"), default="canonical")
    serve.add_argument("--render-shape", choices=("wrapped", "toplevel"), default="wrapped")
    serve.add_argument("--max-upload-mb", type=int, default=500)
    serve.add_argument("--token-ttl", type=int, default=7 * 86400, help="token lifetime in seconds")
    serve.add_argument("--heartbeat", type=float, default=2.0, help="seconds between heartbeats (default 2)")
    serve.add_argument("--allow-private-urls", action="store_true",
                       help="allow URL uploads from loopback/private addresses")
    serve.add_argument("--allow-url-host", action="append", default=[], metavar="HOST:PORT",
                       help="a local or private host URL uploads may fetch from (repeatable)")
    serve.add_argument("--allow-origin", action="append", default=None, metavar="ORIGIN",
                       help="a web page origin that may call the API, e.g. https://lab.example:8443 "
                            "(repeatable; replaces the default: pages on localhost, any port)")
    serve.add_argument("--tokens-per-ip", type=int, default=0, metavar="N",
                       help="new client ids per address per 7 days (the cloud's rule is 10; default 0: no limit)")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME[=N]",
                       help="inject a failure for client tests (repeatable), e.g. drop_sse_after=3")
    run = sub.add_parser("run-notebooks", help="run notebooks top to bottom (outputs go to <name>.out.ipynb)")
    run.add_argument("paths", nargs="+", help="notebook files")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in (None, "serve"):
        if args.command is None:
            args = build_parser().parse_args(["serve", *(argv or [])])
        try:
            from nemo_nb.local.server import serve
            from nemo_nb.local.settings import LOOPBACK_ORIGINS, BackendSettings, Faults
        except ImportError as exc:
            print(f"nemo-nb: the embedded backend needs the 'local' extra: pip install 'nemo-nb[local]' ({exc})",
                  file=sys.stderr)
            return 2
        try:
            settings = BackendSettings(
                data_dir=args.data_dir, port=args.port, sse_dialect=args.sse_dialect,
                **({} if args.credits is None else {"credits": args.credits, "top_up": True}),
                render_shape=args.render_shape, max_upload_bytes=args.max_upload_mb * 1024 * 1024,
                token_ttl_s=args.token_ttl, heartbeat_s=args.heartbeat, allow_private_urls=args.allow_private_urls,
                url_allow_hosts=tuple(args.allow_url_host), tokens_per_ip=args.tokens_per_ip,
                allowed_origins=LOOPBACK_ORIGINS if args.allow_origin is None else tuple(args.allow_origin),
                faults=Faults.parse(args.fault))
        except ValueError as exc:
            print(f"nemo-nb: {exc}", file=sys.stderr)
            return 2
        try:
            serve(settings)
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            print(f"nemo-nb: cannot listen on port {args.port}: {exc.strerror}; try --port 0", file=sys.stderr)
            return 1
        return 0
    if args.command == "run-notebooks":
        try:
            from nemo_nb.notebook.execute import run_all
        except ImportError as exc:
            print(f"nemo-nb: running notebooks needs nbclient and ipykernel ({exc})", file=sys.stderr)
            return 2
        return run_all(args.paths, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
