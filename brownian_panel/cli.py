"""``brownian-panel``: serve the app with Panel's own server and sensible defaults.

Every option ``panel serve`` knows can follow ours (e.g. ``--basic-auth``, ``--num-procs``);
they are passed through unchanged. Options of the app itself reach the served script after
``panel serve``'s ``--args`` (``app_parameters`` reads them there).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Seconds a session is kept after its page's connection closed (Bokeh's unused-session
#: lifetime; Bokeh's default is 15 s, checked every 17 s): a page cut off by the network for up
#: to about 40 s reconnects to it (``views.notice``: retries about a second after the network
#: is back while BokehJS's attempts last, ~30 s, then every 5 s).
DISCONNECTED_SESSION_LIFETIME_S = 45.0
CHECK_UNUSED_SESSIONS_MS = 1_000


def app_script() -> Path:
    """The servable script: packaged in the wheel, or ``apps/`` of a source checkout."""
    packaged = Path(__file__).with_name("_apps") / "brownian.py"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parent.parent / "apps" / "brownian.py"


def panel_serve_args(argv: list[str] | None = None) -> list[str]:
    """The ``panel serve`` arguments for our command line (without the leading ``panel``)."""
    parser = argparse.ArgumentParser(
        prog="brownian-panel",
        description="Serve the live Brownian-motion app. Options not listed here are passed "
                    "to `panel serve` unchanged. `brownian-panel --versions` prints the stack "
                    "and which fast paths are on.",
    )
    parser.add_argument("--port", type=int, default=5006, help="port to listen on (5006)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address to listen on (127.0.0.1: this machine only)")
    parser.add_argument("--show", action="store_true", help="open the app in a browser")
    parser.add_argument(
        "--disconnected-session-lifetime", type=_seconds, default=DISCONNECTED_SESSION_LIFETIME_S,
        metavar="SECONDS",
        help="keep a session this long after its page's connection closed, so that a page "
             "cut off by the network reconnects to the same run (default "
             f"{DISCONNECTED_SESSION_LIFETIME_S:g}); a page that comes back later gets a new "
             "run and says so. A closed tab's session is released after as long (+1 s)")
    _add_app_options(parser)
    ours, passthrough = parser.parse_known_args(argv)
    args = [
        "serve", str(app_script()),
        "--port", str(ours.port),
        "--address", ours.address,
        "--check-unused-sessions", str(CHECK_UNUSED_SESSIONS_MS),
        "--unused-session-lifetime", str(round(ours.disconnected_session_lifetime * 1000)),
        "--plugins", "brownian_panel.export.route",  # the Download CSV route
    ]
    if ours.show:
        args.append("--show")
    script_args = []
    if ours.silent_client_timeout is not None:
        script_args += ["--silent-client-timeout", str(ours.silent_client_timeout)]
    if ours.shared:
        script_args.append("--shared")
    if ours.redis_url:
        script_args += ["--redis-url", ours.redis_url]
    _check_feed_settings(parser, ours)
    for name in FEED_SETTINGS:
        if getattr(ours, name) is not None:
            script_args += [f"--{name}", str(getattr(ours, name))]
    # --args takes everything after it: it comes last.
    return args + passthrough + (["--args", *script_args] if script_args else [])


def _seconds(text: str) -> float:
    """A number of seconds from 0.5 to 86,400 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
    if not 0.5 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be from 0.5 to 86,400 seconds, not {text}")
    return value


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shared", action="store_true", default=None,
        help="one path for every viewer, drawn once per process, with global controls (as the "
             "original design); default: each browser session has its own")
    parser.add_argument(
        "--redis-url", default=None, metavar="URL",
        help="with --shared: show the feed of a producer (`brownian-panel produce`) through "
             "Redis at URL (redis://host:port/db), so any number of processes and hosts show "
             "the same path; needs the `scale` extra")
    _add_feed_settings(parser, defaults=False)
    parser.add_argument(
        "--silent-client-timeout", type=float, default=None, metavar="SECONDS",
        help="ping each loaded page every SECONDS and disconnect it when no answer comes "
             "within SECONDS more (default 10; 0: never); a vanished browser's session ends "
             "within 2 x SECONDS + 5 s + the unused-session lifetime")


#: The shared path's settings, given to the in-process feed (``--shared``) or to the producer.
FEED_SETTINGS = ("period", "batch", "window", "history", "seed")


def _add_feed_settings(parser: argparse.ArgumentParser, defaults: bool) -> None:
    from .model.walk import BrownianMotion

    for name in FEED_SETTINGS:
        parameter = BrownianMotion.param[name]
        help_text = " ".join(parameter.doc.split())
        if not defaults:
            help_text = f"with --shared (no --redis-url): {help_text}"
        parser.add_argument(f"--{name}", type=int,
                            default=parameter.default if defaults else None, help=help_text)


def _check_feed_settings(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    """Fail like argparse for a feed setting out of bounds, or given where it has no effect."""
    from .model.validation import refusal
    from .model.walk import BrownianMotion

    settings = {name: getattr(options, name) for name in FEED_SETTINGS
                if getattr(options, name) is not None}
    if not settings:
        return
    given = ", ".join(f"--{name}" for name in settings)
    if not options.shared:
        parser.error(f"{given}: only with --shared (a session's settings come from its page)")
    if options.redis_url:
        parser.error(f"{given}: with --redis-url the producer draws the path: give them to "
                     "`brownian-panel produce`")
    for name, value in settings.items():
        message = refusal(BrownianMotion, name, value)
        if message is not None:
            parser.error(f"--{name}: {message}")


def app_parameters(argv: list[str] | None = None) -> dict[str, float]:
    """The app's options from the served script's arguments (``panel serve ... --args
    --silent-client-timeout 30 --shared``): ``shared`` (present only when asked for) picks the
    shared page, the rest are ``BrownianApp``/``SharedApp`` parameters; unknown arguments are
    an error (``SystemExit`` with argparse's message, on every Python: 3.13 raises
    ``ArgumentError`` for unknown arguments where 3.11 and 3.12 exit)."""
    parser = argparse.ArgumentParser(prog="apps/brownian.py", add_help=False,
                                     exit_on_error=False)
    _add_app_options(parser)
    try:
        options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except argparse.ArgumentError as error:
        parser.error(str(error))
    _check_feed_settings(parser, options)
    return {name: value for name, value in vars(options).items() if value is not None}


def produce(argv: list[str]) -> None:
    """``brownian-panel produce --redis-url URL``: draw the shared path into Redis until
    interrupted (the one producer of a Redis-backed shared feed)."""
    import logging

    from .feed.producer import Producer
    from .model.walk import BrownianMotion

    parser = argparse.ArgumentParser(prog="brownian-panel produce",
                                     description=produce.__doc__.split("\n")[0])
    parser.add_argument("--redis-url", required=True, metavar="URL")
    _add_feed_settings(parser, defaults=True)
    options = parser.parse_args(argv)
    from .model.validation import refusal

    for name in FEED_SETTINGS:
        message = refusal(BrownianMotion, name, getattr(options, name))
        if message is not None:
            parser.error(f"--{name}: {message}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model = BrownianMotion(**{name: getattr(options, name) for name in FEED_SETTINGS})
    try:
        Producer(options.redis_url, model).run()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> None:
    """Run ``panel serve`` on the app (returns when the server stops), or ``produce``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["produce"]:
        produce(argv[1:])
        return
    if argv[:1] == ["--versions"]:
        from .compat import report

        print(report())
        return
    args = panel_serve_args(argv)
    sys.argv = ["panel", *args]
    if serve(args[1:]) is False:
        sys.exit(1)


def serve(args: list[str]) -> object:
    """``panel serve <args>``, its responses gzip-compressed for browsers that accept it
    (Tornado's ``compress_response``, through the subcommand's ``customize_kwargs`` hook): the
    page's 2.9 MB of JavaScript travel as about 0.8 MB."""
    from panel.command.serve import Serve

    class CompressedServe(Serve):
        def customize_kwargs(self, args, server_kwargs):
            kwargs = super().customize_kwargs(args, server_kwargs)
            kwargs.setdefault("compress_response", True)
            return kwargs

    parser = argparse.ArgumentParser(prog="brownian-panel")
    command = CompressedServe(parser=parser)
    return command.invoke(parser.parse_args(args))
