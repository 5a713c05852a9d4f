"""Generate a synthetic full-size book in dl500's source format (default: 500 questions over 18 chapters).

Text is random combinations of a small vocabulary of our own words (never prose from anywhere); each question has
~1,500 Han characters, ~5 formulas, a table, a code block, cross-references by id, and every fifth one a figure
(a small static SVG). About 70% of the questions have an English translation, stamped as current. `checks/`
holds a few cheap checks that claims in the text cite. Deterministic for a given seed.

    python benchmarks/gen_book.py OUT_DIR [--questions 500] [--chapters 18] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.model import normalise_text  # noqa: E402

ZH_WORDS = ("模型 数据 梯度 损失 参数 网络 训练 样本 特征 权重 偏置 卷积 池化 激活 正则 优化 学习率 批量 误差 分布 "
            "概率 向量 矩阵 输出 输入 结构 方法 问题 结果 过程 收敛 泛化 容量 噪声 采样 推断 编码 解码 注意力 残差 "
            "归一化 初始化 动量 稀疏 稠密 通道 步长 填充 感受野 显存 吞吐 延迟 精度 召回").split()
ZH_GLUE = "的 在 与 和 会 可以 因此 但是 通常 使得 对于 随着 由于 导致".split()
EN_WORDS = ("model data gradient loss parameter network training sample feature weight bias convolution pooling "
            "activation regularisation optimiser rate batch error distribution probability vector matrix output "
            "input structure method result process convergence capacity noise sampling attention residual "
            "normalisation momentum channel stride padding memory throughput latency precision recall").split()
EN_GLUE = "the of in and with so but usually makes for as because leads to".split()

FORMULAS = [
    r"\frac{\partial L}{\partial w_{{i}}} = \sum_{j=1}^{{n}} \delta_j x_{j{i}}",
    r"\sigma(z_{{i}}) = \frac{1}{1+e^{-z_{{i}}}}",
    r"\mathbb{E}[x^{{n}}] = \int x^{{n}} p(x)\,dx",
    r"W^{({i})} \leftarrow W^{({i})} - \eta \nabla_{W} \mathcal{L}_{{n}}",
    r"\mathrm{softmax}(z)_{{i}} = \frac{e^{z_{{i}}}}{\sum_{k=1}^{{n}} e^{z_k}}",
    r"\|x\|_{{n}} = \Big(\sum_{i} |x_i|^{{n}}\Big)^{1/{n}}",
    r"H(p,q) = -\sum_{k=1}^{{n}} p_k \log q_k + {i}",
    r"\hat{y}_{{i}} = \mathrm{ReLU}(W x + b)_{{i}}",
]
DISPLAY = [
    r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\ v_t &= \beta_2 v_{t-{i}} + (1-\beta_2) g_t^{{n}}"
    r" \end{aligned}",
    r"\mathcal{L}(\theta) = \frac{1}{{n}} \sum_{i=1}^{{n}} \ell\big(f_\theta(x_i), y_i\big) + \lambda_{{i}} "
    r"\|\theta\|_2^2",
]
CHECKS = {  # check name -> (value as written, function body)
    "quarter": ("0.25", "s = 1 / (1 + math.exp(-0.0))\n    return s * (1 - s)"),
    "conv_params": ("73,856", "return 3 * 3 * 64 * 128 + 128"),
    "ln2": ("0.6931", "return math.log(2)"),
    "two_pow_ten": ("1024", "return 2 ** 10"),
}
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160" viewBox="0 0 320 160">'
       '<rect x="1" y="1" width="318" height="158" fill="none" stroke="#444"/>'
       '<polyline fill="none" stroke="#1a4f8a" stroke-width="2" points="{points}"/></svg>\n')


def zh_sentence(rng: random.Random) -> str:
    words = [rng.choice(ZH_WORDS) if k % 3 else rng.choice(ZH_GLUE) for k in range(rng.randint(10, 16))]
    return "".join(words) + rng.choice("。。。，；")


def zh_paragraph(rng: random.Random, chars: int) -> str:
    out = ""
    while len(out) < chars:
        out += zh_sentence(rng)
    return out.rstrip("，；。") + "。"


def en_paragraph(rng: random.Random, words: int) -> str:
    out, n = [], 0
    while n < words:
        k = rng.randint(8, 16)
        s = " ".join(rng.choice(EN_WORDS) if j % 3 else rng.choice(EN_GLUE) for j in range(k))
        out.append(s[0].upper() + s[1:] + ".")
        n += k
    return " ".join(out)


def formula(rng: random.Random, q: int, display: bool) -> str:
    tpl = rng.choice(DISPLAY if display else FORMULAS)
    return tpl.replace("{i}", str(q % 17 + 1)).replace("{n}", str(rng.randint(2, 9)))


def table(lang: str, rng: random.Random) -> str:
    head = "| 方法 | 参数量 | 误差 |" if lang == "zh" else "| Method | Parameters | Error |"
    rows = [head, "|---|---:|---:|"]
    for k in range(4):
        name = rng.choice(ZH_WORDS if lang == "zh" else EN_WORDS)
        rows.append(f"| {name}{k} | {rng.randint(10, 999)}K | {rng.randint(1, 40) / 10:.1f} |")
    return "\n".join(rows)


def code_block(q: int, comment: str) -> str:
    return (f"```python\n# {comment}\nimport numpy as np\n\ndef step_{q}(w, g, lr=0.01):\n    return w - lr * g\n\n"
            f"w = np.zeros({q % 7 + 2})\nprint(step_{q}(w, np.ones_like(w)))\n```")


def question_texts(rng: random.Random, qn: int, qid: str, all_ids: list, fig: str | None, claim: str | None):
    """(zh body, en body): same structure, formulas, claims, figures and cross-references in both."""
    seeds = rng.random()
    inline = [formula(rng, qn, False) for _ in range(4)]
    display = formula(rng, qn, True)
    refs = rng.sample(all_ids, 2)
    zr, er = random.Random(seeds), random.Random(seeds + 1)
    zh, en = [], []
    zh.append(zh_paragraph(zr, 260) + f"设 ${inline[0]}$，则 ${inline[1]}$。")
    en.append(en_paragraph(er, 130) + f" Let ${inline[0]}$; then ${inline[1]}$.")
    zh.append(f"$$\n{display}\n$$")
    en.append(f"$$\n{display}\n$$")
    zh.append(zh_paragraph(zr, 260) + f"相关内容见 [](#{refs[0]}) 与 [](#{refs[1]})。")
    en.append(en_paragraph(er, 130) + f" See [](#{refs[0]}) and [](#{refs[1]}).")
    zh.append("## 要点")
    en.append("## Key points")
    zh.append(zh_paragraph(zr, 260) + f"其中 ${inline[2]}$ 与 ${inline[3]}$ 同时成立。")
    en.append(en_paragraph(er, 130) + f" Here ${inline[2]}$ and ${inline[3]}$ both hold.")
    zh.append(table("zh", zr))
    en.append(table("en", er))
    if claim:
        value = CHECKS[claim][0]
        zh.append(zh_paragraph(zr, 80) + f"该量等于 [{value}]{{.claim check=\"bench.{claim}\"}}。")
        en.append(en_paragraph(er, 40) + f" The value is [{value}]{{.claim check=\"bench.{claim}\"}}.")
    zh.append(code_block(qn, "一步梯度下降"))
    en.append(code_block(qn, "one gradient step"))
    if fig:
        zh.append(f"![{zh_paragraph(zr, 12)}](img/{fig}.svg){{#fig:{fig}}}")
        en.append(f"![{en_paragraph(er, 6)}](img/{fig}.svg){{#fig:{fig}}}")
        zh.append(f"[](#fig:{fig}) 画出了" + zh_paragraph(zr, 60))
        en.append(f"[](#fig:{fig}) draws " + en_paragraph(er, 30).lower())
    zh.append(zh_paragraph(zr, 330))
    en.append(en_paragraph(er, 160))
    zh.append(zh_paragraph(zr, 300))
    en.append(en_paragraph(er, 150))
    return "\n\n".join(zh) + "\n", "\n\n".join(en) + "\n"


def plan(questions: int, chapters: int) -> list[list[list[int]]]:
    """chapters -> sections -> question numbers (global, from 1), sections of ~7 questions."""
    per = [questions // chapters + (1 if c < questions % chapters else 0) for c in range(chapters)]
    out, q = [], 1
    for n in per:
        secs, left = [], n
        while left > 0:
            k = min(7, left) if left != 8 else 4
            secs.append(list(range(q, q + k)))
            q += k
            left -= k
        out.append(secs)
    return out


def source_hash(title: str, body: str) -> str:
    import hashlib
    payload = normalise_text(title) + "\n\n" + normalise_text(body)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def generate(out: Path, questions: int = 500, chapters: int = 18, seed: int = 1, translated: float = 0.7) -> dict:
    rng = random.Random(seed)
    for sub in ("source", "checks"):  # leave any cache or build folder beside them alone
        shutil.rmtree(out / sub, ignore_errors=True)
    src = out / "source"
    src.mkdir(parents=True)
    layout = plan(questions, chapters)
    all_ids = [f"q{n:03d}" for n in range(1, questions + 1)]
    folders = [f"ch{c:02d}" for c in range(1, chapters + 1)]
    (src / "book.yaml").write_text(
        "id: synth\ntitle: {zh: 合成之书, en: A Synthetic Book}\nsubtitle: {zh: 基准测试用, en: For benchmarks}\n"
        "languages: {primary: zh, translations: [en]}\nversion: 0.0.1\nedition: 1\nlicense: CC BY-NC-SA 4.0\n"
        "checks: ../checks\ndependencies: [numpy]\noptions: {untranslated: original}\nchapters:\n"
        + "".join(f"  - {f}\n" for f in folders), "utf-8")
    counts = {"questions": 0, "translated": 0, "figures": 0, "claims": 0}
    for c, (folder, secs) in enumerate(zip(folders, layout), start=1):
        cdir = src / folder
        (cdir / "img").mkdir(parents=True)
        lines = [f"id: chap{c:02d}", f"title: {{zh: 合成章节{zh_word(rng)}, en: Synthetic Chapter {en_word(rng)}}}",
                 "outline:"]
        for s, qs in enumerate(secs, start=1):
            lines += [f"  - section: c{c:02d}-s{s}", f"    title: {{zh: {zh_word(rng)}{zh_word(rng)}, "
                      f"en: {en_word(rng).title()} {en_word(rng).title()}}}", "    items:"]
            for qn in qs:
                qid = all_ids[qn - 1]
                lines.append(f"      - {qid}")
                fig = f"c{c:02d}-q{qn:03d}" if qn % 5 == 0 else None
                claim = list(CHECKS)[qn % len(CHECKS)] if qn % 3 == 0 else None
                zh_body, en_body = question_texts(rng, qn, qid, [i for i in all_ids if i != qid], fig, claim)
                zh_title = f"{zh_word(rng)}与{zh_word(rng)}{zh_word(rng)}之间有什么关系？"
                en_title = f"How does the {en_word(rng)} relate to the {en_word(rng)} {en_word(rng)}?"
                (cdir / f"{qid}.zh.md").write_text(
                    f"---\nid: {qid}\ntitle: {zh_title}\ncontributors: [作者{qn % 11}-某大学]\n---\n\n{zh_body}", "utf-8")
                if rng.random() < translated:
                    h = source_hash(zh_title, zh_body)
                    (cdir / f"{qid}.en.md").write_text(
                        f"---\nid: {qid}\ntitle: {en_title}\ncontributors: [作者{qn % 11}-某大学]\ntranslation:\n"
                        f"  status: reviewed\n  translators: [Translator {qn % 5}-Some University]\n"
                        f"  source_hash: {h}\nreviewed:\n  by: Reviewer {qn % 3}-Some University\n  on: 2026-01-01\n"
                        f"  against: {h}\n---\n\n{en_body}", "utf-8")
                    counts["translated"] += 1
                if fig:
                    pts = " ".join(f"{x * 20},{80 + rng.randint(-60, 60)}" for x in range(17))
                    (cdir / "img" / f"{fig}.svg").write_text(SVG.format(points=pts), "utf-8")
                    counts["figures"] += 1
                counts["claims"] += 1 if claim else 0
                counts["questions"] += 1
        (cdir / "chapter.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    checks = out / "checks"
    checks.mkdir(parents=True)
    (checks / "bench.py").write_text('"""Cheap checks behind the synthetic book\'s claims."""\nimport math\n\n'
                                     + "".join(f"\n\ndef {name}(device):\n    {body}\n"
                                               for name, (_, body) in CHECKS.items()), "utf-8")
    return counts


def zh_word(rng: random.Random) -> str:
    return rng.choice(ZH_WORDS)


def en_word(rng: random.Random) -> str:
    return rng.choice(EN_WORDS)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--chapters", type=int, default=18)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    counts = generate(Path(args.out), args.questions, args.chapters, args.seed)
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
