"""The web edition (issue 13)."""


def write_site(book, langs, fragments, inputs, out_dir):
    raise NotImplementedError("the web edition is not built yet (issue 13)")
