"""Every markdown cell of ``source/`` renders as the author meant it.

The cells are rendered with markdown-it (the CommonMark engine of JupyterLab's renderer) with
GFM tables and ``$``/``$$`` math, and the lint fails, naming the file, the cell id and the
offending text, on

- emphasis that CommonMark leaves unclosed (``**`` or ``__`` left in the rendered text; e.g.
  ``**…（…）**を`` does not close, because a closing ``**`` after punctuation must be followed
  by a space or punctuation — use ``<strong>`` or rephrase);
- table rows whose cell count differs from the header (a ``|`` inside a cell, also inside
  ``$…$``: JupyterLab takes math out before it parses tables, nbconvert's feedback does not —
  write ``\\lvert x \\rvert``);
- math macros MathJax does not know (the list below is what MathJax 3 typesets with the TeX
  input and all its extensions loaded, as in JupyterLab and in the offline feedback);
- diagrams drawn as ASCII art (they fall apart in proportional fonts and on phones: draw a PNG figure
  and attach it to the cell, as scripts/draw_computational_graphs.py does for 2_5), and
  ``attachment:`` images the cell does not carry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from autograder.notebook_cells import read_notebook

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "source").rglob("*.ipynb"))

# Macros of MathJax 3's TeX input (base, ams, and the extensions of the full component that
# course notebooks may use). Anything else shows as red raw text in JupyterLab and the feedback.
GREEK = """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda
mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta
Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega varGamma varDelta varTheta varLambda varXi varPi
varSigma varUpsilon varPhi varPsi varOmega digamma"""
OPERATORS = """sum prod coprod int iint iiint oint bigcup bigcap bigoplus bigotimes bigvee bigwedge
lim liminf limsup max min sup inf arg det dim exp gcd hom ker lg ln log Pr sin cos tan cot sec csc
arcsin arccos arctan sinh cosh tanh coth deg argmax argmin operatorname mathop"""
RELATIONS = """le leq ge geq ne neq lt gt approx sim simeq cong equiv propto ll gg subset subseteq
supset supseteq in notin ni mid parallel perp models vdash dashv prec succ preceq succeq doteq
leqslant geqslant lesssim gtrsim coloneqq"""
BINARY = """pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot cap cup vee wedge
setminus wr amalg dagger ddagger lhd rhd unlhd unrhd land lor lnot neg"""
ARROWS = """to gets leftarrow rightarrow leftrightarrow Leftarrow Rightarrow Leftrightarrow
longleftarrow longrightarrow longleftrightarrow Longleftarrow Longrightarrow Longleftrightarrow
mapsto longmapsto uparrow downarrow updownarrow Uparrow Downarrow nearrow searrow swarrow nwarrow
implies impliedby iff xrightarrow xleftarrow hookrightarrow hookleftarrow rightleftharpoons"""
SYMBOLS = """infty partial nabla forall exists nexists emptyset varnothing ell hbar imath jmath Re Im
aleph prime backslash angle triangle square blacksquare checkmark top bot dots ldots cdots vdots
ddots therefore because surd flat sharp natural clubsuit diamondsuit heartsuit spadesuit lbrace
rbrace langle rangle lceil rceil lfloor rfloor vert Vert lvert rvert lVert rVert | { } , ; : ! quad
qquad enspace thinspace negthinspace hspace vspace space"""
STRUCTURE = """frac dfrac tfrac cfrac binom dbinom tbinom sqrt root over choose atop left right middle
big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr begin end text textrm textbf textit
mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr boldsymbol bm rm bf it sf tt
cal displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits hat widehat tilde
widetilde bar overline underline vec dot ddot acute grave breve check overbrace underbrace
overset underset stackrel overrightarrow overleftarrow color textcolor colorbox cancel bcancel
xcancel boxed fbox label tag notag nonumber newcommand renewcommand def phantom hphantom vphantom
mathstrut strut smash substack hline cr pmod bmod mod not"""
MATHJAX_MACROS = frozenset(" ".join([GREEK, OPERATORS, RELATIONS, BINARY, ARROWS, SYMBOLS, STRUCTURE]).split())
MATHJAX_MACROS -= {"bm"}  # \bm is not a MathJax macro (write \boldsymbol)

_MD = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, allow_space=True, allow_digits=True,
                                                     double_inline=True)
_MACRO = re.compile(r"\\([A-Za-z]+)")


def _table_cells(line: str) -> int:
    """The number of cells of a table row, split like GFM does (an escaped ``\\|`` does not split)."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return len(re.split(r"(?<!\\)\|", row))


_ASCII_GRAPH = re.compile(r"[┌┐┘]|─\s*\(|\)\s*─|-+>\s*\(")  # corners and edges into (×) nodes; tree views (├ └) pass


# what JupyterLab's attachment resolver renders (imageRendererFactory); an SVG attachment shows as broken
ATTACHMENT_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}


def lint_markdown(text: str, attachments: dict | None = None) -> list[str]:
    """Problems of one markdown cell, each with the offending text."""
    problems = [f"添付画像 {name} の形式 {mime} は JupyterLab で表示されません（PNG にしてください）"
                for name, bundle in (attachments or {}).items() for mime in bundle if mime not in ATTACHMENT_TYPES]
    lines = text.splitlines()
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("fence", "code_block") and _ASCII_GRAPH.search(token.content):
            problems.append(f"ASCII アートの図です（図を PNG で描いてセルに添付してください）: {token.content.strip()[:60]}")
        for child in token.children or []:
            name = child.attrGet("src") if child.type == "image" else None
            if isinstance(name, str) and name.startswith("attachment:") and name[11:] not in (attachments or {}):
                problems.append(f"添付されていない画像を参照しています: {name}")
        if token.type == "table_open" and token.map:
            start, end = token.map
            header = _table_cells(lines[start])
            for line in lines[start + 2:end]:
                if line.strip() and _table_cells(line) != header:
                    problems.append(f"表の行のセル数が見出し（{header}）と違います（セルの中の | は \\lvert \\rvert で）: {line.strip()}")
        if token.type in ("math_block", "math_block_label"):
            problems += _math_problems(token.content)
        for child in token.children or []:
            if child.type == "text" and ("**" in child.content or "__" in child.content):
                problems.append(f"強調（** / __）が閉じていません（<strong> を使うか言い換えて）: {child.content.strip()}")
            if child.type in ("math_inline", "math_inline_double"):
                problems += _math_problems(child.content)
    return problems


def _math_problems(tex: str) -> list[str]:
    unknown = sorted({m for m in _MACRO.findall(tex) if m not in MATHJAX_MACROS})
    return [f"MathJax が知らないマクロ \\{m}: {tex.strip()[:80]}" for m in unknown]


def _markdown_cells():
    for path in NOTEBOOKS:
        for cell in read_notebook(path).cells:
            if cell.cell_type == "markdown":
                yield path.relative_to(REPO).as_posix(), cell.get("id", "?"), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_cells_render_as_written(path):
    rel = path.relative_to(REPO).as_posix()
    found = [f"{rel} セル {cell.get('id', '?')}: {problem}"
             for cell in read_notebook(path).cells if cell.cell_type == "markdown"
             for problem in lint_markdown(cell.source, cell.get("attachments"))]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text, expected", [
    ("**1 つの数（スカラー）**を返します", "強調"),
    ("| 関数 | 値 |\n| --- | --- |\n| 絶対値 | $|x|$ |\n", "表の行"),
    ("$\\bm{x}$ と書きます", "\\bm"),
    ("$$\\foo{x} = 1$$", "\\foo"),
    ("```\nりんご 100 ──┐\n            (×) ── 200\n個数     2 ──┘\n```", "ASCII"),
    ("![図](attachment:graph.svg)", "添付されていない"),
])
def test_the_lint_catches_each_kind_of_problem(text, expected):
    problems = lint_markdown(text)
    assert any(expected in p for p in problems), problems


def test_the_lint_catches_attachments_jupyterlab_cannot_show():
    problems = lint_markdown("![図](attachment:graph.svg)", {"graph.svg": {"image/svg+xml": "PHN2Zy8+"}})
    assert any("JupyterLab で表示されません" in p for p in problems), problems


@pytest.mark.parametrize("text", [
    "<strong>1 つの数（スカラー）</strong>を返します",
    "**スカラー** を返します",
    "| 関数 | 値 |\n| --- | --- |\n| 絶対値 | $\\lvert x \\rvert$ |\n",
    "$$\\frac{\\partial L}{\\partial \\boldsymbol{W}} = \\boldsymbol{X}^\\top \\frac{\\partial L}{\\partial \\boldsymbol{Y}}$$",
    "`a__b` と `**kwargs`",
    "```\nsubmission/\n├── submit_katakana.ipynb\n└── model.npz\n```",
])
def test_the_lint_accepts_what_renders(text):
    assert lint_markdown(text) == []


def test_every_source_notebook_has_markdown_to_lint():
    assert sum(1 for _ in _markdown_cells()) > 100
