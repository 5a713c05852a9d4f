"""The build stage (filled by the build issue)."""


def build_book(book, diags, args) -> int:
    raise NotImplementedError("not built yet (issue 5)")
