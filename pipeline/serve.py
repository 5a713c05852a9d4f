"""`dl500 serve` (issue 13)."""


def run_serve(args) -> int:
    raise NotImplementedError("dl500 serve is not built yet (issue 13)")
