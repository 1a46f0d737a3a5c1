"""Hand the verdicts to nbgrader: gradebook, locked-cell restoration, feedback, CSV export.

nbgrader never executes a submission here. Its autograde pipeline runs with the
``ApplyVerdicts`` preprocessor in place of ``Execute``: after nbgrader has restored the
locked and test cells from its gradebook, ApplyVerdicts writes the verdict of every test
cell as its output (nothing on pass; a Japanese error output on fail) and the sanitized
outputs of the other cells, and keeps the list of checks (named as in the notebook) in the
notebook's metadata; nbgrader's own SaveAutoGrades then records the scores.

``generate_feedback`` runs ``FeedbackPage`` after nbgrader's GetGrades: it hands the course's
feedback template (``autograder/feedback_template``) the table of checks, the notes and the
MathJax it inlines, so the page renders offline (docs/grading.md, "Feedback").
"""

from __future__ import annotations

import copy
import functools
import json
import re
import secrets
from importlib import resources as package_files
from pathlib import Path

from jinja2 import pass_context as contextfilter
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .notebook_cells import grade_id, is_test_cell, read_notebook

RESULTS_DIR = "grading/results"
FEEDBACK_TEMPLATE_DIR = Path(__file__).resolve().parent / "feedback_template"
FEEDBACK_TEMPLATE = "feedback"  # the name nbgrader's API insists on; found first in FEEDBACK_TEMPLATE_DIR
SAFE_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def result_path(root: Path, student: str, notebook: str) -> Path:
    return Path(root) / RESULTS_DIR / student / f"{notebook}.json"


def verdict_output(passed: bool, message: str) -> NotebookNode:
    if passed:
        return NotebookNode({"output_type": "stream", "name": "stdout", "text": "✔ 合格: " + message + "\n"})
    lines = message.splitlines() or ["不合格"]
    return NotebookNode({"output_type": "error", "ename": "不合格", "evalue": lines[0], "traceback": ["✘ 不合格"] + lines})


def check_titles(nb) -> dict[str, str]:
    """The name of every test cell as the notebook shows it: the last heading above it."""
    titles, heading = {}, ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if re.match(r"#{1,6}\s", line):
                    heading = line.lstrip("#").strip()
        elif is_test_cell(cell):
            titles[grade_id(cell)] = heading or grade_id(cell)
    return titles


def _cause(lines: list[str]) -> tuple[str, str]:
    """(label, text) of the line of a verdict message that says why: the hint when there is one,
    else the first sentence after the header that is not the input or a value (never a row of an
    array printed across several lines)."""
    for line in lines:
        for label in ("考えられる原因:", "ヒント:"):
            if line.startswith(label):
                return label, line[len(label):].strip()
    values = ("入力:", "期待:", "実際:")
    return "", next((ln for ln in lines[1:] if not ln.startswith(values) and _is_sentence(ln)), "")


def reason_line(message: str) -> str:
    """A verdict message in one line for the instructor's summary: its hint, or its first line
    and what is wrong."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if not lines:
        return ""
    label, cause = _cause(lines)
    if label:
        return cause[:120]
    return (lines[0] + (" " + cause if cause else ""))[:120]


def message_headline(message: str) -> str:
    """A verdict message shortened for the feedback's table: which case failed and why."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if not lines:
        return ""
    label, cause = _cause(lines)
    return lines[0] + (f"\n{label} {cause}" if label else f"\n{cause}" if cause else "")


def _is_sentence(line: str) -> bool:
    """A line of Japanese prose, not a row of an array printed across several lines."""
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in line)


class ApplyVerdicts(NbGraderPreprocessor):
    """Write precomputed verdicts and outputs into the notebook nbgrader is grading."""

    course_root = Unicode("", help="course directory whose grading/results holds the verdicts").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = Path(self.course_root)
        path = result_path(root, info["student"], info["notebook"])
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {"verdicts": [], "outputs": {}, "notes": ["このノートブックは採点されていません。"]}
        verdicts = {v["grade_id"]: v for v in result.get("verdicts", [])}
        outputs = result.get("outputs", {})
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if is_test_cell(cell):
                v = verdicts.get(grade_id(cell))
                if v is None:
                    v = {"passed": False, "message": "このテストセルは採点されていません。"}
                cell.outputs = [verdict_output(v["passed"], v["message"])]
            else:
                cell.outputs = [NotebookNode(o) for o in outputs.get(cell.get("id", ""), [])]
            cell.execution_count = None
        try:  # names and figures from the instructor's copy: a student cannot rename a check
            source = read_notebook(root / "source" / info["assignment"] / f"{info['notebook']}.ipynb")
        except (OSError, ValueError, KeyError):
            source = None
        titles = check_titles(source if source is not None else nb)
        if source is not None:
            restore_figures(nb, source)
        checks = []
        for cell in nb.cells:
            if is_test_cell(cell):
                gid = grade_id(cell)
                v = verdicts.get(gid, {"passed": False, "message": "このテストセルは採点されていません。"})
                checks.append({"grade_id": gid, "title": titles.get(gid, gid), "passed": bool(v["passed"]),
                               "message": v["message"], "reason": "" if v["passed"] else message_headline(v["message"])})
        nb.metadata["course_grading"] = {"status": result.get("status", "ungraded"), "notes": result.get("notes") or [],
                                         "isolation": result.get("isolation", ""), "checks": checks}
        return nb, resources


# What a markdown cell may keep in the feedback. Every markdown cell is sanitized: prose cells carry
# no nbgrader metadata, so a student can edit them like any other cell.
SAFE_TAGS = frozenset("""a abbr b blockquote br code del details div em h1 h2 h3 h4 h5 h6 hr i img kbd li ol p
pre s span strong sub summary sup table tbody td tfoot th thead tr u ul""".split())
SAFE_IMAGE = re.compile(r"data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)


def _safe_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title", "alt"):
        return True
    if tag == "img" and name == "src":  # embedded images only: nothing is fetched
        return bool(SAFE_IMAGE.fullmatch(value.strip()))
    if tag == "img" and name in ("width", "height"):
        return value.strip().isdigit()
    if tag == "a" and name == "href":
        return value.strip().lower().startswith(("#", "http://", "https://", "mailto:"))
    if tag in ("td", "th") and name == "align":
        return value in ("left", "center", "right")
    return False


def clean_html(html) -> str:
    """Sanitize rendered markdown with an allow-list (replaces nbconvert's ``clean_html`` filter,
    whose list drops paragraphs, headings and images): no script, no event handler, no URL
    that would be fetched."""
    return _clean_html(html.decode() if isinstance(html, bytes) else str(html))


@functools.lru_cache(maxsize=4096)
def _clean_html(html: str) -> str:
    # a pure function of its text: the instructor's prose, the same on every student's page,
    # is sanitized once per process instead of once per page
    import bleach

    return bleach.clean(html, tags=SAFE_TAGS, attributes=_safe_attribute,
                        protocols={"http", "https", "mailto", "data"}, strip=False, strip_comments=True)


def restore_figures(nb, source) -> None:
    """Give markdown cells the instructor's attachments (figures) back, by cell id: intake drops
    whatever a student's cell carried, so only the instructor's images reach the feedback."""
    figures = {c.get("id"): c.get("attachments") for c in source.cells
               if c.cell_type == "markdown" and c.get("attachments")}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.pop("attachments", None)
            if cell.get("id") in figures:
                cell["attachments"] = copy.deepcopy(figures[cell.id])


@functools.lru_cache(maxsize=1)
def mathjax_script() -> str:
    """MathJax 3 (TeX input, SVG output, every extension), from the django-static-mathjax
    package, made safe to inline in a <script> element."""
    es5 = package_files.files("mathjax") / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    text = es5.read_text(encoding="utf-8")
    # an HTML parser ends a <script> at "</script" and changes state at "<!--"; neither may occur
    if re.search(r"</script|<!--\s*<script", text, re.IGNORECASE):
        raise RuntimeError("the MathJax file cannot be inlined in a <script> element")
    return text


# The template writes this marker where MathJax goes; FeedbackExporter puts the script in after
# nbconvert's own post-processing (a BeautifulSoup parse and re-serialisation of the whole page,
# which would otherwise walk the 2.3 MB of MathJax on every page). Random per process, replaced
# once (the first occurrence is in <head>, before anything of the student's).
MATHJAX_MARKER = f"/*course-mathjax-{secrets.token_hex(16)}*/"
IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)(?=[\s/>])", re.IGNORECASE)


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter with MathJax inserted after the page is rendered, and the
    markdown of each cell rendered once per process (the instructor's prose repeats on every
    student's page; a rendering depends only on the text and the cell's attachments)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        # HTMLExporter.from_notebook_node without its last step, a BeautifulSoup parse and
        # re-serialisation of the whole page that only adds a default ``alt`` to images and
        # ``tabindex`` to JupyterLab-template elements (the classic template has none of them);
        # the ``alt`` is added here (after sanitising, every ``<img`` left is a real tag)
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html = IMG_WITHOUT_ALT.sub('<img alt="画像"', html)
        if MATHJAX_MARKER in html:
            html = html.replace(MATHJAX_MARKER, mathjax_script(), 1)
        return html, resources

    @contextfilter
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        attachments = cell.get("attachments", {}) or {}
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        key = (source, json.dumps(attachments, sort_keys=True, default=str), path, self.embed_images,
               self.anchor_link_text, self.exclude_anchor_links, json.dumps(self.lexer_options, sort_keys=True, default=str))
        cached = _MARKDOWN_CACHE.get(key)
        if cached is None:
            cached = super().markdown2html(context, source)
            if len(_MARKDOWN_CACHE) < 4096:
                _MARKDOWN_CACHE[key] = cached
        return cached


_MARKDOWN_CACHE: dict = {}


class FeedbackPage(NbGraderPreprocessor):
    """Hand the feedback template its data: the checks with points and messages, the notes, MathJax."""

    def preprocess(self, nb, resources):
        grading = nb.metadata.get("course_grading", {})
        points = {grade_id(c): c.metadata["nbgrader"] for c in nb.cells if is_test_cell(c)}
        checks = []
        for check in grading.get("checks", []):
            meta = points.get(check["grade_id"], {})
            checks.append({**check, "score": float(meta.get("score") or 0), "points": float(meta.get("points") or 0)})
        for i, cell in enumerate(nb.cells):  # anchors: ids the HTML can carry as they are
            if not SAFE_CELL_ID.fullmatch(str(cell.get("id", ""))):
                cell.id = f"cell-{i:03d}"
        resources["course_feedback"] = {
            "checks": checks, "notes": list(grading.get("notes", [])), "status": grading.get("status", ""),
            "mathjax_script": MATHJAX_MARKER,
        }
        return nb, resources
