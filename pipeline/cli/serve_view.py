"""`dl500 serve` on the terminal: the preview's events (pipeline.serve.Preview's `on_event`) as lines on stderr,
and the exit code when there is no book to serve."""

from __future__ import annotations

import sys

from ..diagnostics import format_text
from .common import EXIT_USAGE


class ServeView:
    """Problems, warnings and where the site is served always; rebuild lines ("full rebuild in 0.41 s") unless
    quiet."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream

    def _out(self):
        return self.stream or sys.stderr  # looked up per line: tests redirect sys.stderr after the view is made

    def __call__(self, kind: str, data) -> None:
        out = self._out()
        if kind == "problems":
            out.write(format_text(data))
        elif kind == "warning":
            out.write(f"{data}\n")
        elif kind == "rebuilt" and not self.quiet:
            problems = f", {data['problems']} problem(s)" if data.get("problems") else ""
            out.write(f"dl500 serve: {data['kind']} rebuild in {data['seconds']:.2f} s{problems}\n")
        elif kind == "building":
            out.write("dl500 serve: building the web edition …\n")
        elif kind == "serving":
            out.write(f"dl500 serve: {data['url']}  (watching {data['root']}; Ctrl-C to stop)\n")


def run(args) -> int:
    from ..serve import NoBook, Preview, run_serve
    quiet = getattr(args, "quiet", False)
    view = ServeView(quiet)
    try:
        preview = Preview(args.path, getattr(args, "lang", None), quiet, on_event=view)
    except NoBook as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    return run_serve(preview, args.host, args.port)
