"""The typography pass, per language, on pandoc's HTML fragments: quotes, numbers kept with their units.

Applied once per fragment where the fragments are made (pipeline/build.py, render_fragments), so the PDF, the
EPUB and the site print the same characters. It works on HTML text nodes (stdlib html.parser); text inside code,
preformatted blocks, math (pandoc's span.math with the raw TeX), SVG, MathML, scripts and attribute values is
never touched.

Rules (docs/authoring.md, "Typography"):
- Chinese (zh): double quotes are “ ” and single quotes ‘ ’, paired by alternation inside each block (paragraph,
  list item, table cell, heading, caption). pandoc's `smart` extension decides by the character before a quote,
  so after a Han character it writes a closing mark where an opening one belongs (”大小”); the pass counts
  instead. An apostrophe between two Latin letters (don’t) is not a quote and stays ’.
- English (en) and every other language: pandoc's `smart` quotes are kept as they are.
- Every language: the space between a number and its unit (5 GB, 3 ms, 10 %) becomes a no-break space, so the
  number never ends a line without its unit.
- Spacing between Han characters and Latin letters or digits is the author's: the pass neither adds nor removes
  it (the book's sources mostly write "使用 ReLU 激活"; WeasyPrint has no text-autospace to do it in CSS).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

# Elements whose text is not prose: left exactly as pandoc wrote it.
VERBATIM = {"code", "pre", "kbd", "samp", "script", "style", "math", "svg", "textarea"}
# Elements that start a new run of quotes: an unbalanced quote in one paragraph does not flip the next.
BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "dt", "dd",
          "div", "section", "caption", "ul", "ol", "table", "tr", "figure"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

UNITS = ("GB", "MB", "KB", "TB", "GiB", "MiB", "KiB", "B", "ms", "μs", "us", "ns", "s", "min", "h", "Hz", "kHz",
         "MHz", "GHz", "px", "pt", "mm", "cm", "m", "km", "kg", "g", "K", "M", "G", "%", "倍", "个", "层", "次", "秒",
         "毫秒", "页", "维", "GFLOPs", "FLOPs", "TFLOPS", "epochs", "epoch", "steps", "tokens", "bit", "bits")
NUMBER_UNIT = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*) (" + "|".join(sorted(map(re.escape, UNITS), key=len,
                                                                            reverse=True)) + r")(?![\w])")
LATIN = re.compile(r"[A-Za-z]")
DOUBLE = {'"', "“", "”"}
SINGLE = {"'", "‘", "’"}


@lru_cache(maxsize=1)
def typography_version() -> str:
    """The pass's rules are this module's code: any edit to it is a new version of every typeset fragment."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def typeset_html(fragment: str, lang: str) -> str:
    """One pandoc fragment with the language's typography applied to its prose text nodes."""
    parser = _Typesetter(lang)
    parser.feed(fragment)
    parser.close()
    return "".join(parser.out)


def keep_units(text: str) -> str:
    """"5 GB" → "5\u00a0GB": a number stays on the line of its unit."""
    return NUMBER_UNIT.sub(lambda m: f"{m.group(1)}\u00a0{m.group(2)}", text)


class QuoteState:
    """Which mark comes next, for doubles and singles, within one block."""

    def __init__(self):
        self.double_open = False
        self.single_open = False

    def reset(self):
        self.double_open = self.single_open = False


def balance_quotes_zh(text: str, state: QuoteState, before: str) -> str:
    """Alternate “ ” and ‘ ’ in a text node; `before` is the last character of the block's earlier text."""
    out = []
    prev = before
    for i, ch in enumerate(text):
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch in DOUBLE:
            ch = "”" if state.double_open else "“"
            state.double_open = not state.double_open
        elif ch in SINGLE and not (LATIN.match(prev or " ") and LATIN.match(nxt or " ")):
            ch = "’" if state.single_open else "‘"
            state.single_open = not state.single_open
        elif ch in SINGLE:
            ch = "’"  # an apostrophe inside a Latin word
        out.append(ch)
        prev = ch
    return "".join(out)


class _Typesetter(HTMLParser):
    def __init__(self, lang: str):
        super().__init__(convert_charrefs=False)
        self.lang = (lang or "").split("-")[0].lower()
        self.out: list[str] = []
        self.stack: list[str] = []  # open elements
        self.verbatim = 0  # depth inside code, math, …
        self.quotes = QuoteState()
        self.last = ""  # the block's last prose character so far

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in BLOCKS:
            self._new_block()
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag in VERBATIM or (tag == "span" and _has_class(attrs, "math")):
            self.verbatim += 1
            self.stack[-1] = "\0" + tag  # remember that this one opened a verbatim region

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in VOID:
            return
        for k in range(len(self.stack) - 1, -1, -1):  # close up to the matching element (pandoc's HTML is tidy)
            if self.stack[k].lstrip("\0") == tag:
                closing = self.stack[k:]
                del self.stack[k:]
                self.verbatim -= sum(1 for t in closing if t.startswith("\0"))
                break
        if tag in BLOCKS:
            self._new_block()

    def handle_data(self, data):
        if self.verbatim > 0 or not data:
            self.out.append(data)
            return
        self.out.append(self._prose(data))

    def handle_entityref(self, name):
        self._reference(f"&{name};")

    def handle_charref(self, name):
        self._reference(f"&#{name};")

    def _reference(self, raw: str):
        text = htmllib.unescape(raw)
        if self.verbatim > 0 or text in ("&", "<", ">") or text == raw:
            self.out.append(raw)
            return
        self.out.append(htmllib.escape(self._prose(text), quote=False))

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")

    def _prose(self, text: str) -> str:
        if self.lang == "zh":
            text = balance_quotes_zh(text, self.quotes, self.last)
        text = keep_units(text)
        self.last = text[-1]
        return text

    def _new_block(self):
        self.quotes.reset()
        self.last = ""


def _has_class(attrs, name: str) -> bool:
    return any(k == "class" and v and name in v.split() for k, v in attrs)
