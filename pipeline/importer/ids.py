"""Readable, stable ids: from the English title, else the Latin words of the Chinese title, else its pinyin.

Ids are what every cross-reference, URL, claim and translation file uses for the life of the book, so they must
say what the question is: `what-is-the-rank-of-a-matrix`, `cnn-chihuaceng-zuoyong`, `piancha`, never a hash
while any title exists. A hash slug is the last resort for a title with nothing to romanise (e.g. only symbols).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_WORDS = 8
MAX_LEN = 60
MAX_ZH_WORDS = 4  # a romanised id says what the question is about in a few words, not the whole sentence
ID_OK = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[.+#][A-Za-z0-9]+)*")
# Question words and particles that say nothing about the topic; dropped before romanising.
STOP_WORDS = frozenset("""
什么 是 的 中的 之间 和 与 及 及其 以及 或 有 哪些 哪个 哪种 为什么 为何 如何 怎么 怎样 怎么样 吗 呢 吧 了 中 之
一个 一种 一些 这 那 这个 那个 这些 其 何 有何 是否 能否 可以 需要 要 会 做 把 被 让 于 从 到 下 上 呀 啊 么
""".split())
# Words of the field that pypinyin's phrase dictionary lacks (it lists mainly phrases whose reading differs from
# their characters' usual one): matched first, longest first, so 注意力 is one word and not 注意 + 力 or 意力.
TERMS = frozenset("""
注意力 多头 卷积 池化 全连接 神经 网络 神经元 循环 长短期 记忆 梯度 消失 爆炸 激活 函数 损失 归一化 批量 正则化
过拟合 欠拟合 学习率 优化器 反向 前向 传播 残差 感受野 特征图 通道 编码器 解码器 位置 编码 生成 对抗 生成器 判别器
词向量 嵌入 交叉熵 准确率 召回率 精确率 监督 半监督 无监督 强化 迁移 学习 数据 增强 目标 检测 语义 分割 实例 图像
分类 极大值 抑制 权重 偏置 方差 偏差 感知机 决策树 随机 森林 支持 向量机 向量 矩阵 张量 概率 期望 条件 深度
机器 超参数 预训练 微调 蒸馏 剪枝 量化 丢弃 动量 自编码器 变分 扩散 模型 语言 分词 训练 推理 机制
""".split())
TERM = re.compile("|".join(sorted(TERMS, key=len, reverse=True)))

# Split on these before segmenting: the dictionary would otherwise glue a particle to a word (消失和 → 消 失和).
PARTICLES = re.compile("(" + "|".join(sorted((w for w in STOP_WORDS if len(w) > 1), key=len, reverse=True))
                       + "|[的和与及或吗呢吧是了])")


def slugify(text: str) -> str:
    """'What is the Sigmoid's derivative?' → 'what-is-the-sigmoids-derivative'; '' when nothing ASCII is left."""
    text = unicodedata.normalize("NFKD", text)
    text = re.sub(r"\$[^$]*\$", " ", text)  # formulas make poor ids
    text = re.sub(r"[’'`]", "", text.lower())
    words = re.findall(r"[a-z0-9]+", text.encode("ascii", "ignore").decode())
    return join_words(words, MAX_WORDS)


def join_words(words, max_words: int) -> str:
    slug = ""
    for w in list(words)[:max_words]:
        cand = f"{slug}-{w}" if slug else w
        if len(cand) > MAX_LEN:
            break
        slug = cand
    return slug


def camel_words(name: str) -> str:
    """'DeepLearningFoundation' → 'Deep Learning Foundation' (English chapter folder names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|[_()]+", " ", name)


def short_hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:8]


def _plain(text: str) -> str:
    """Title text without formulas, markup and full-width forms (ＣＮＮ → CNN)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return re.sub(r"[*_`~<>\[\]]", " ", text)


def latin_words(text: str) -> list[str]:
    """The Latin words of a Chinese title, lower-cased: '卷积神经网络(CNN)' → ['cnn']; numbers alone do not count."""
    words = [w.lower() for w in LATIN_WORD.findall(_plain(text))]
    return words if any(re.search(r"[a-z]", w) for w in words) else []


def _han_words(run: str) -> list[str]:
    """A run of Han characters → topic words: segmented by pypinyin's phrase dictionary, particles dropped, and
    the single characters the dictionary leaves paired up (卷积神经网络 → 卷积 神经 网络) or glued to their
    neighbour (感知机, 准确率), so a word is never one syllable."""
    words: list[str] = []
    singles: list[str] = []
    after_word = False  # the singles collected follow a dictionary word (not a particle, not the start)

    def flush(after_word: bool) -> None:
        if len(singles) % 2 and after_word and words and words[-1]:
            words[-1] += singles.pop(0)  # 卷积+层, 长短+期 (记忆): an odd one out ends the word before it
        pairs = ["".join(singles[i:i + 2]) for i in range(0, len(singles), 2)]
        if len(pairs) > 1 and len(pairs[-1]) == 1:
            last = pairs.pop()
            pairs[-1] += last
        words.extend(pairs)
        singles.clear()

    for tok in (t for part in PARTICLES.split(run) for t in ([part] if part in STOP_WORDS else segment(part))):
        if len(tok) == 1 and tok not in STOP_WORDS:
            singles.append(tok)
            continue
        flush(after_word)
        after_word = tok not in STOP_WORDS
        words.append(tok if after_word else "")  # a particle separates words: nothing glues across it
    flush(after_word)
    return [w for w in words if w]


def segment(text: str) -> list[str]:
    """Words of a particle-free run: the field's terms first, pypinyin's dictionary for what lies between."""
    from pypinyin.seg.mmseg import seg
    out: list[str] = []
    pos = 0
    for m in TERM.finditer(text):
        out += seg.cut(text[pos:m.start()]) if m.start() > pos else []
        out.append(m.group())
        pos = m.end()
    return out + (list(seg.cut(text[pos:])) if pos < len(text) else [])


def _pinyin(word: str) -> str:
    from pypinyin import Style, lazy_pinyin
    syllables = lazy_pinyin(word, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return re.sub(r"[^a-z0-9]", "", "".join(syllables).lower())


def title_words(text: str) -> list[str]:
    """Latin words and romanised Han words of a title, in reading order."""
    out: list[str] = []
    for latin, han in re.findall(r"([A-Za-z0-9]+(?:[.+#][A-Za-z0-9]+)*)|(" + HAN.pattern + r"+)", _plain(text)):
        if latin:
            out.append(latin.lower())
        else:
            out += [p for p in (_pinyin(w) for w in _han_words(han)) if p]
    return out


def chinese_slug(text: str, acronym_first: bool = False) -> str:
    """An id from a Chinese title. Two or more Latin words (model names, acronyms) say enough alone
    ('ResNet 和 VGG 的区别' → 'resnet-vgg'); otherwise Latin words and pinyin in reading order
    ('CNN 的池化层有什么作用' → 'cnn-chihuaceng-zuoyong', '什么是偏差？' → 'piancha').
    `acronym_first` (chapter titles): any Latin word alone wins ('卷积神经网络(CNN)' → 'cnn')."""
    latin = latin_words(text)
    if latin and (acronym_first or len(latin) >= 2):
        return join_words((re.sub(r"[^a-z0-9]", "", w) for w in latin), MAX_ZH_WORDS)
    words = [re.sub(r"[^a-z0-9]", "", w) for w in title_words(text)]
    return join_words((w for w in words if w), MAX_ZH_WORDS)


class IdAllocator:
    """Hands out ids unique in the whole book, in reading order; ids to keep are reserved first."""

    def __init__(self, reserved=()):
        self.used: set[str] = set(reserved)

    def fresh(self, english: str | None, prefix: str, *hash_parts: str, chinese: str | None = None,
              acronym_first: bool = False) -> str:
        base = (slugify(english or "") or chinese_slug(chinese or "", acronym_first)
                or f"{prefix}-{short_hash(*hash_parts)}")
        return self.unique(base)

    def unique(self, base: str) -> str:
        cand, n = base, 1
        while cand in self.used:
            n += 1
            cand = f"{base}-{n}"
        self.used.add(cand)
        return cand

    def keep(self, qid: str) -> str:
        self.used.add(qid)
        return qid
