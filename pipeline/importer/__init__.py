"""The legacy-layout importer (filled by the import issue)."""


def run_import(args) -> int:
    raise NotImplementedError("not built yet (issue 8)")
