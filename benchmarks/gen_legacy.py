"""Generate a synthetic legacy repository of full size (18 chapters, 500+ questions, ~1.5 MB, 1,000 images).

The text is drawn from a small vocabulary of our own words; it only has to look like the legacy layout
and carry its hazards: typed numbers with defects, `$ x $` math, $$ blocks, HTML images, CRLF, BOM, credits.

    python benchmarks/gen_legacy.py OUT_DIR [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

CHAPTERS = 18
SECTIONS = 4
QUESTIONS = 7  # per section: 18 * 4 * 7 = 504 questions
IMAGES_PER_QUESTION = 2  # 1,008 images
WORDS = ("模型 数据 梯度 损失 参数 网络 训练 样本 特征 权重 偏置 卷积 池化 激活 正则 优化 学习率 批量 "
         "误差 分布 概率 向量 矩阵 输出 输入 层 节点 结构 方法 问题 结果 过程").split()
EN_WORDS = "model data gradient loss parameter network training sample feature weight bias layer".split()
PNG = b"\x89PNG\r\n\x1a\n"


def sentence(rng: random.Random, n: int = 20) -> str:
    return "".join(rng.choice(WORDS) for _ in range(n)) + "。"


def paragraph(rng: random.Random) -> str:
    return "".join(sentence(rng) for _ in range(rng.randint(4, 6)))


def heading_number(rng: random.Random, parts: list[int]) -> str:
    """A typed number with the legacy defects now and then."""
    num = ".".join(map(str, parts))
    r = rng.random()
    if r < 0.03:
        return num + "."
    if r < 0.05:
        return f"**{num}**"
    if r < 0.07:
        return ""
    if r < 0.09:
        return num + " "
    return num


def question_body(rng: random.Random, ch: int, s: int, q: int, images: list) -> str:
    parts = [paragraph(rng)]
    parts.append(f"一个 $ x_{q} $ 与 $y = w x + b$ 的关系如下：")
    parts.append("$$\n\\begin{aligned}\nL &= \\frac{1}{n}\\sum_i (y_i - \\hat y_i)^2 \\\\\n&= \\text{MSE}\n"
                 "\\end{aligned}\n$$")
    for k in range(IMAGES_PER_QUESTION):
        name = f"img/ch{ch}/{ch}.{s}.{q}-{k}.png"
        images.append(name)
        if k % 2:
            parts.append(f'<img src="./{name}" width="400">')
        else:
            parts.append(f"![图 {ch}-{s}-{q}-{k}]({name})")
    parts.append(paragraph(rng))
    parts.append(paragraph(rng) + "\u200b")
    parts.append(paragraph(rng))
    if rng.random() < 0.2:
        parts.append("（贡献者：示例大学--作者" + str(q) + "）")
    return "\n\n".join(parts)


def chapter_text(rng: random.Random, ch: int, images: list) -> str:
    lines = [f"# 第{ch}章 合成章节{ch}", "", "[TOC]", ""]
    for s in range(1, SECTIONS + 1):
        lines += [f"## {heading_number(rng, [ch, s])} 合成小节{s}", ""]
        for q in range(1, QUESTIONS + 1):
            num = heading_number(rng, [ch, s, q])
            lines += [f"### {num} 合成问题{ch}-{s}-{q}是什么？", "", question_body(rng, ch, s, q, images), ""]
            if q == 3:
                lines += [f"#### {ch}.{s}.{q}.1 细节", "", paragraph(rng), ""]
    return "\n".join(lines)


def english_text(rng: random.Random, ch: int) -> str:
    lines = [f"# Chapter {ch} Synthetic Chapter {ch}", ""]
    for s in range(1, SECTIONS + 1):
        lines += [f"## {ch}.{s} Synthetic section {s}", ""]
        for q in range(1, QUESTIONS + 1):
            words = " ".join(rng.choice(EN_WORDS) for _ in range(40))
            lines += [f"### {ch}.{s}.{q} What is synthetic question {ch} {s} {q}?", "", words.capitalize() + ".", ""]
    return "\n".join(lines)


def write(path: Path, text: str, crlf: bool = False, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def generate(out: Path, seed: int = 1) -> dict:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    readme = ["# 合成问答集", ""]
    md_bytes = 0
    n_images = 0
    for ch in range(1, CHAPTERS + 1):
        folder = out / f"ch{ch:02d}_合成章节{ch}"
        name = f"第{ch}章_合成章节{ch}.md"
        readme.append(f"- [第{ch}章](ch{ch:02d}_合成章节{ch}/{name})")
        images: list = []
        text = chapter_text(rng, ch, images)
        write(folder / name, text, crlf=ch % 3 == 0, bom=ch % 5 == 0)
        md_bytes += len(text.encode("utf-8"))
        write(folder / "readme.md", f"# 第{ch}章\n")
        write(folder / "modify_log.txt", "合成\n")
        for rel in images:
            p = folder / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(PNG + rel.encode())
            n_images += 1
        if ch <= 5:
            en = english_text(rng, ch)
            write(out / "English version" / f"ch{ch:02d}_SyntheticChapter{ch}" / f"Chapter{ch}.md", en)
            md_bytes += len(en.encode("utf-8"))
    write(out / "README.md", "\n".join(readme) + "\n")
    return {"chapters": CHAPTERS, "questions": CHAPTERS * SECTIONS * QUESTIONS, "markdown_bytes": md_bytes,
            "images": n_images}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(generate(Path(args.out), args.seed))


if __name__ == "__main__":
    main()
