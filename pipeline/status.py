"""Translation status (filled by the status issue)."""


def run_status(args) -> int:
    raise NotImplementedError("not built yet (issue 6)")
