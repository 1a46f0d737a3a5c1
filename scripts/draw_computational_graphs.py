"""Draw the computational graphs of 2_5_backprop_layers and embed them in the source notebook.

The figures the book draws (the apple example, the addition and multiplication nodes, the Sigmoid,
Affine and Softmax-with-Loss layers) become PNG attachments of the markdown cells that refer to
them, so they travel with the notebook into release/ and into the feedback (JupyterLab renders
attachments of the image types png/jpeg/gif/webp/bmp only, not SVG). Forward values are black
arrows above an edge, backward derivatives red arrows below it. Coordinates are in pixels of the
design size; the PNG is drawn at 1.25× for sharp text. Run after changing a figure:

    .venv/bin/python scripts/draw_computational_graphs.py && .venv/bin/course-build
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (Japanese font for the labels)
from matplotlib import patches  # noqa: E402

from autograder.notebook_cells import read_notebook, write_notebook  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "source" / "day2" / "2_5_backprop_layers.ipynb"
BACK = "#c62828"
SCALE = 1.25  # output pixels per design pixel
_ANCHOR = {"middle": "center", "start": "left", "end": "right"}


class Figure:
    def __init__(self, width: int, height: int, title: str):
        self.width, self.height, self.title = width, height, title
        self.fig = plt.figure(figsize=(width / 100, height / 100), dpi=100 * SCALE)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()

    def text(self, x, y, s, size=15, anchor="middle", color="#222", weight="normal"):
        self.ax.text(x, y, s, fontsize=size * 0.72, ha=_ANCHOR[anchor], va="baseline", color=color,
                     fontweight=weight, zorder=4)

    def node(self, x, y, label, r=24):
        self.ax.add_patch(patches.Circle((x, y), r, facecolor="white", edgecolor="#333", lw=1.2, zorder=3))
        self.ax.text(x, y, label, fontsize=12, ha="center", va="center", zorder=4)

    def box(self, x, y, w, h, label, fill="#e8f0fe"):
        self.ax.add_patch(patches.FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=8",
                                                 facecolor=fill, edgecolor="#333", lw=1.2, zorder=3))
        self.ax.text(x, y, label, fontsize=11, ha="center", va="center", zorder=4)

    def line(self, x1, y1, x2, y2, color="#333", head=True):
        self.ax.annotate("", xy=(x2, y2), xytext=(x1, y1), zorder=2,
                         arrowprops=dict(arrowstyle="-|>" if head else "-", color=color, lw=1.2,
                                         shrinkA=0, shrinkB=0, mutation_scale=12))

    def edge(self, a, b, forward="", backward="", gap=7, shorten=(0, 0), at=0.5, size=15):
        """An edge from point a to point b: forward arrow (value above), backward arrow (value below)."""
        (x1, y1), (x2, y2) = a, b
        length = math.hypot(x2 - x1, y2 - y1)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        nx, ny = uy, -ux  # left normal (above for a left-to-right edge)
        s1, s2 = shorten
        x1, y1, x2, y2 = x1 + ux * s1, y1 + uy * s1, x2 - ux * s2, y2 - uy * s2
        mx, my = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at
        self.line(x1 + nx * gap, y1 + ny * gap, x2 + nx * gap, y2 + ny * gap)
        if forward:
            self.text(mx + nx * (gap + 8), my + ny * (gap + 8) + (0 if ny < 0 else 10), forward, size=size)
        if backward:
            self.line(x2 - nx * gap, y2 - ny * gap, x1 - nx * gap, y1 - ny * gap, color=BACK)
            self.text(mx - nx * (gap + 10), my - ny * (gap + 10) + (12 if ny < 0 else 0), backward, color=BACK, size=size)

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", facecolor="white",
                         metadata={"Software": None, "Title": self.title})
        plt.close(self.fig)
        return buffer.getvalue()


def legend(fig: Figure, x: float, y: float) -> None:
    fig.line(x, y, x + 34, y)
    fig.text(x + 42, y + 5, "順伝播（値）", size=13, anchor="start")
    fig.line(x + 160, y, x + 126, y, color=BACK)
    fig.text(x + 168, y + 5, "逆伝播（微分）", size=13, anchor="start", color=BACK)


def apple_graph() -> bytes:
    fig = Figure(640, 260, "りんごの買い物の計算グラフ（順伝播と逆伝播）")
    mul1, mul2 = (310, 95), (490, 165)
    fig.text(20, 60, "りんごの値段", anchor="start")
    fig.text(20, 150, "りんごの個数", anchor="start")
    fig.text(20, 230, "消費税", anchor="start")
    fig.edge((120, 55), mul1, "100", "2.2", shorten=(0, 26), at=0.35)
    fig.edge((120, 145), mul1, "2", "110", shorten=(0, 26), at=0.35)
    fig.edge(mul1, mul2, "200", "1.1", shorten=(26, 26))
    fig.edge((120, 225), mul2, "1.1", "200", shorten=(0, 26), at=0.3)
    fig.edge(mul2, (620, 165), "220", "1", shorten=(26, 0))
    fig.text(585, 215, "支払金額", size=14)
    fig.node(*mul1, "×")
    fig.node(*mul2, "×")
    legend(fig, 20, 20)
    return fig.png()


def node_rules() -> bytes:
    fig = Figure(640, 230, "加算ノードと乗算ノードの逆伝播")
    fig.text(150, 28, "加算ノード z = x + y", size=16)
    add = (200, 120)
    fig.edge((50, 70), add, "x", "∂L/∂z · 1", shorten=(0, 26), at=0.3)
    fig.edge((50, 170), add, "y", "∂L/∂z · 1", shorten=(0, 26), at=0.3)
    fig.edge(add, (300, 120), "z", "∂L/∂z", shorten=(26, 0))
    fig.node(*add, "+")
    fig.text(470, 28, "乗算ノード z = x y", size=16)
    mul = (520, 120)
    fig.edge((370, 70), mul, "x", "∂L/∂z · y", shorten=(0, 26), at=0.3)
    fig.edge((370, 170), mul, "y", "∂L/∂z · x", shorten=(0, 26), at=0.3)
    fig.edge(mul, (620, 120), "z", "∂L/∂z", shorten=(26, 0))
    fig.node(*mul, "×")
    fig.text(320, 222, "加算はそのまま流し、乗算は「もう一方の入力」を掛けて流す", size=13, color="#555")
    return fig.png()


def sigmoid_graph() -> bytes:
    fig = Figure(900, 210, "Sigmoid レイヤの計算グラフ")
    xs, y = [200, 390, 560, 720], 100
    fig.edge((20, y), (xs[0], y), "x", "∂L/∂y · y² exp(−x)", shorten=(0, 28), size=13)
    fig.edge((xs[0], y), (xs[1], y), "−x", "−∂L/∂y · y² exp(−x)", shorten=(28, 28), size=13)
    fig.edge((xs[1], y), (xs[2], y), "exp(−x)", "−∂L/∂y · y²", shorten=(28, 28), size=13)
    fig.edge((xs[2], y), (xs[3], y), "1 + exp(−x)", "−∂L/∂y · y²", shorten=(28, 28), size=13)
    fig.edge((xs[3], y), (880, y), "y", "∂L/∂y", shorten=(28, 0), size=13)
    for x, label in zip(xs, ["×(−1)", "exp", "+", "/"]):
        fig.node(x, y, label, r=28)
    fig.text(560, 150, "+ の下の入力 1 は省略", size=12, color="#555")
    fig.text(450, 190, "y² exp(−x) = y (1 − y) なので、∂L/∂x = ∂L/∂y · y (1 − y)", size=14, color=BACK)
    legend(fig, 20, 22)
    return fig.png()


def affine_graph() -> bytes:
    fig = Figure(680, 275, "Affine レイヤの計算グラフ（バッチ版）")
    dot, add = (300, 110), (490, 150)
    fig.edge((20, 60), dot, "X (N, D)", "∂L/∂Y · W$^{\\mathsf{T}}$ (N, D)", shorten=(0, 30), at=0.4, size=14)
    fig.edge((20, 170), dot, "W (D, M)", "X$^{\\mathsf{T}}$ · ∂L/∂Y (D, M)", shorten=(0, 30), at=0.4, size=14)
    fig.edge(dot, add, "X·W (N, M)", "", shorten=(30, 26), size=14)
    fig.edge((230, 235), add, "B (M,)", " ", shorten=(0, 26), at=0.7, size=14)
    fig.text(300, 262, "∂L/∂Y の axis=0 の合計 (M,)", anchor="start", color=BACK, size=14)
    fig.edge(add, (660, 150), "Y (N, M)", "∂L/∂Y (N, M)", shorten=(26, 0), size=14)
    fig.node(*dot, "dot", r=30)
    fig.node(*add, "+")
    legend(fig, 20, 22)
    return fig.png()


def softmax_loss_graph() -> bytes:
    fig = Figure(680, 220, "Softmax-with-Loss レイヤの計算グラフ")
    soft, loss = (250, 110), (480, 110)
    fig.text(340, 55, "途中の複雑な微分は打ち消し合い、出力と教師データの差 y − t だけが残る", size=13, color=BACK)
    fig.edge((20, 110), soft, "a（スコア）", "(y − t) / N", shorten=(0, 60))
    fig.edge(soft, loss, "y", "", shorten=(60, 75))
    fig.edge((480, 205), loss, "", "", shorten=(0, 24))
    fig.text(490, 200, "t（教師データ）", anchor="start", size=14)
    fig.edge(loss, (665, 110), "L", "1", shorten=(75, 0))
    fig.box(*soft, 120, 48, "Softmax")
    fig.box(*loss, 150, 48, "Cross Entropy Error", fill="#fdecea")
    legend(fig, 20, 22)
    return fig.png()


# markdown cell id -> (attachment name, drawing, alternative text); the cell shows it where it says
FIGURES = {
    "2-5-backprop-layers-02": [("apple_graph.png", apple_graph, "りんごの買い物の計算グラフ"),
                               ("node_rules.png", node_rules, "加算ノードと乗算ノードの逆伝播")],
    "2-5-backprop-layers-23": [("sigmoid_graph.png", sigmoid_graph, "Sigmoid レイヤの計算グラフ")],
    "2-5-backprop-layers-31": [("affine_graph.png", affine_graph, "Affine レイヤの計算グラフ")],
    "2-5-backprop-layers-37": [("softmax_loss_graph.png", softmax_loss_graph, "Softmax-with-Loss レイヤの計算グラフ")],
}


def embed(nb) -> list[str]:
    """Put every figure into its cell's attachments; return the references a cell lacks."""
    missing = []
    for cell in nb.cells:
        if cell.get("id") in FIGURES:
            cell["attachments"] = {}
        for name, draw, alt in FIGURES.get(cell.get("id"), []):
            data = base64.b64encode(draw()).decode("ascii")
            cell.setdefault("attachments", {})[name] = {"image/png": data}
            if f"(attachment:{name})" not in cell.source:
                missing.append(f"{cell.id}: ![{alt}](attachment:{name})")
    return missing


def main() -> int:
    nb = read_notebook(NOTEBOOK)
    missing = embed(nb)
    write_notebook(nb, NOTEBOOK)
    for line in missing:
        print("cell does not show its figure yet:", line)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
