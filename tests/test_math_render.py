

def test_a_repeated_symbol_is_dropped_whole_and_nothing_after_it():
    """ziamath may define a <symbol id> twice (stretchy delimiters): the second goes, self-closing or not."""
    from pipeline.render.math import dedupe_symbol_ids
    svg = ('<svg><symbol id="a" viewBox="0 0 1 1"><path d="M 0 0"/></symbol><symbol id="a" viewBox="0 0 1 1"/>'
           '<symbol id="b" viewBox="0 0 2 2"><path d="M 1 1"/></symbol><symbol id="a"><path d="M 9 9"/></symbol>'
           '<use href="#b"/></svg>')
    assert dedupe_symbol_ids(svg) == ('<svg><symbol id="a" viewBox="0 0 1 1"><path d="M 0 0"/></symbol>'
                                      '<symbol id="b" viewBox="0 0 2 2"><path d="M 1 1"/></symbol><use href="#b"/></svg>')
