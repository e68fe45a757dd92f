"""User text → intent before anything reaches the agent; agent text → without its GUI talk.

``route(text)`` follows docs/protocol.md "Routing user text". The rule against false positives: a
keyword routes only when it *is* the request. The message, lower-cased and without punctuation,
must match a short command as a whole; polite words around it are allowed ("please", "can you",
"now", "for me", 请, 帮我, 吧 …). So "export", "export it", "download the video", "send me the
video", "how many credits do I have?", "check my balance", "status", "show tracks", "导出", "余额"
route, while "add a download button overlay", "show the status bar text as a title", "make the
credits roll at the end" and "export-ready 9:16 version with captions" go to the agent ("send").

Uploads: a message that names a file routes to "upload" with the paths as written (``~`` not
expanded). A file is a token, optionally quoted, that is not a URL and either looks like a path
(has ``/`` or ``\\`` or starts with ``~``) and ends in an accepted media extension, or names an
existing file. A bare name such as ``clip.mp4`` counts when it exists, or when the rest of the
message is empty or an upload command ("upload clip.mp4").

``translate_gui(text)`` follows "GUI phrases in agent replies": the GUI instruction is dropped,
the content around it is kept, and the client is told which ``actions`` to take instead. An
instruction with an editing purpose ("open the Audio panel to adjust the volume") is rewritten as
an offer ("Tell me if you'd like to adjust the volume."). A plain "you can export it now" / 可以导出
counts as the Export button.

``strip_noise(text)`` drops a trailing "I encountered a temporary issue…" after normal text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nemo_nb.formats import ACCEPTED, extension


@dataclass(frozen=True)
class Intent:
    """What to do with a user message: export, credits, status, upload or send (to the agent)."""

    action: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuiTranslation:
    """An agent reply without GUI instructions, and what to do instead (export, state, credits, edit)."""

    text: str
    actions: tuple[str, ...] = ()


# -- routing ------------------------------------------------------------------------------------
_EN_BEFORE = (r"(?:(?:ok|okay|great|cool|nice|perfect|good|alright|all right|thanks|thank you|hey|hi|"
              r"hello|so|now|then|and|please|pls|plz|just|finally|go ahead and|can you|could you|"
              r"would you|will you|can i|could i|may i|can we|i want to|i wanna|i'd like to|"
              r"i would like to|i need to|let's|lets|let me|help me|how do i|how can i|where can i|"
              r"time to)\s+)*")
_EN_AFTER = r"(?:\s+(?:please|pls|plz|now|for me|thanks|thank you|again|then|already|asap|right now))*"
_ZH_BEFORE = r"(?:请|帮我|麻烦你?|给我|我要|我想要?|现在|那就|好的?|可以|能不能|能否|可以帮我)*"
_ZH_AFTER = r"(?:吧|啊|呀|呢|吗|一下|了|谢谢|好吗|可以吗)*"

_VIDEO_NOUN = (r"(?:final |finished |edited |whole )?"
               r"(?:video|result|file|mp4|clip|project|edit|cut|movie|output)")
_COMMANDS = {
    "export": (
        rf"(?:export|download|render)(?: (?:it|this|that|everything|(?:the|my|this|our|your) {_VIDEO_NOUN}))?"
        r"(?: (?:as|to|in) (?:an? )?mp4)?"
        rf"|(?:send|give|get) (?:me|us) (?:it|(?:the|my) {_VIDEO_NOUN})"
        r"|send it(?: over| to me)?"
        r"|(?:(?:get|give me) )?(?:the |a )?download link"
        r"|export and download(?: it| the video)?",
        r"把?(?:视频|成片|它|这个)?(?:导出|下载|渲染)(?:一下)?(?:视频|成片|这个视频|文件|mp4)?"
        r"|把?(?:视频|成片)发(?:给)?我",
    ),
    "credits": (
        r"(?:(?:check|show|see|view|get|display)(?: me)? )?(?:my |the |our )?"
        r"(?:remaining |current |available )?(?:credits?|balance|credit balance|account balance)"
        r"(?: left| remaining| balance)?"
        r"|how many credits(?: (?:do i have|have i got|i have|are left|left|remaining|do i have left|remain|"
        r"do we have))?"
        r"|how much (?:credit|balance)(?: (?:do i have|have i got|is left|left|remaining|do i have left))?"
        r"|what(?:'s| is) (?:my |the )?(?:remaining |current )?"
        r"(?:credits?|balance|credit balance|account balance)"
        r"|(?:do i have|have i got) (?:enough |any )?credits(?: left)?"
        r"|am i out of credits",
        r"(?:查看|查询|查一下|看看|看一下|显示)?(?:我的|我)?(?:还有|还剩|剩余|剩下)?(?:多少)?(?:积分|余额)"
        r"(?:余额|还有多少|还剩多少|剩多少|有多少|是多少|多少)?",
    ),
    "status": (
        r"(?:(?:show|check|view|see|get|display|list|print)(?: me)? )?(?:the |my |our )?"
        r"(?:current |project |session )?(?:status|state|tracks|timeline|draft)"
        r"|what(?:'s| is) (?:the )?(?:current )?(?:status|state)"
        r"(?: of (?:the |my )?(?:project|video|timeline|edit))?"
        r"|what(?:'s| is) on the timeline|what tracks do i have",
        r"(?:查看|查询|看看|看一下|显示|列出)?(?:当前|项目|现在|目前)?的?(?:状态|轨道|时间线)",
    ),
    "upload": (
        r"upload(?: (?:(?:a|an|my|the|some|another|more|new) )?"
        r"(?:videos?|files?|clips?|images?|photos?|pictures?|audio|music|songs?|footage|media))?",
        r"上传(?:一下)?(?:视频|文件|素材|图片|音频|音乐)?",
    ),
}
_COMMAND_RES = {
    action: (re.compile(f"{_EN_BEFORE}(?:{en}){_EN_AFTER}"), re.compile(f"{_ZH_BEFORE}(?:{zh}){_ZH_AFTER}"))
    for action, (en, zh) in _COMMANDS.items()
}

_TOKEN = re.compile(r"\"([^\"]+)\"|“([^”]+)”|`([^`]+)`|(?<!\w)'([^']+)'(?!\w)|(\S+)")
_PUNCTUATION = "()[]{}<>,;!?。，！？；：、「」【】（）"
_CJK_LEAD = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+(?=[~/\\]|[A-Za-z]:)")


def route(text: str) -> Intent:
    """The action for a user message; "send" means: give it to the agent."""
    tokens = _tokens(text)
    paths = [t for t in tokens if _is_path(t)]
    if paths:
        return Intent("upload", tuple(dict.fromkeys(paths)))
    names = [t for t in tokens if "://" not in t and extension(t) in ACCEPTED]
    if names:
        rest = " ".join(t for t in tokens if t not in names and t.lower() not in ("and", "&", "和", "以及"))
        if not _normalise(rest) or _command(rest) == "upload":
            return Intent("upload", tuple(dict.fromkeys(names)))
    return Intent(_command(text) or "send")


def _command(text: str) -> str | None:
    spaced = _normalise(text)
    compact = spaced.replace(" ", "")
    for action, (english, chinese) in _COMMAND_RES.items():
        if english.fullmatch(spaced) or chinese.fullmatch(compact):
            return action
    return None


def _normalise(text: str) -> str:
    """Lower case, straight apostrophes, no punctuation, single spaces."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^\w\s']+|(?<!\w)'|'(?!\w)", " ", text).split())


def _tokens(text: str) -> list[str]:
    """Quoted strings and whitespace-separated words, stripped of surrounding punctuation."""
    tokens = []
    for match in _TOKEN.finditer(text):
        quoted = next((g for g in match.groups()[:4] if g), None)
        token = quoted.strip() if quoted else match.group(5).strip(_PUNCTUATION).rstrip(".:")
        tokens.append(_CJK_LEAD.sub("", token))
    return [t for t in tokens if t]


def _is_path(token: str) -> bool:
    if "://" in token:
        return False
    looks_like_path = "/" in token or "\\" in token or token.startswith("~")
    if looks_like_path and extension(token) in ACCEPTED:
        return True
    return (looks_like_path or "." in token) and _is_file(token)


def _is_file(token: str) -> bool:
    try:
        return Path(token).expanduser().is_file()
    except (OSError, ValueError, RuntimeError):
        return False


# -- GUI phrases in agent replies -----------------------------------------------------------------
_LEAD = (r"(?:^|\b(?:you can|you could|you may|you might|you'll need to|you need to|you should|feel free to|"
         r"go ahead and|simply|just|please|then|now|and|or|once you|when you|after you|if you|before you|try|"
         r"tip:|note:)\s+|\bby\s+)")
_ACCOUNT_EN = r"(?:account|billing|subscription|wallet)"
_ACCOUNT_ZH = r"(?:账户|账号|账单|订阅|充值)"
# (pattern, action): the first pattern that matches an instruction gives its action; None = read the
# action from the instruction's words (_KEYWORD_ACTIONS), e.g. "click Export" → export.
_GUI = tuple((re.compile(pattern, re.I), action) for pattern, action in (
    (_LEAD + r"(?:click(?:ing)?|tap(?:ping)?|press(?:ing)?|hit(?:ting)?|double-click|right-click)\b", None),
    (r"(?:\b(?:use|using|with|via|hit|press|click|tap|find|from|in)\s+)?(?:the\s+)?"
     r"[\"'“‘\[]?(?:export|download)[\"'”’\]]?\s+(?:button|icon|menu|option)\b", "export"),
    (_LEAD + r"(?:export|download)(?:\s+(?:it|this|that|them|(?:the|your)\s+\w+))?\s*$", "export"),
    (_LEAD + r"(?:check|see|view|review|look at|open|go to|head to|visit|navigate to)\b[^,;:]*?\b"
     + _ACCOUNT_EN + r"\b", "credits"),
    (_LEAD + r"(?:open(?:ing)?|go(?:ing)? to|head(?: over)? to|navigate to|switch to|visit)\b[^,;:]*?\b"
     r"(?:panel|tab|menu|settings|sidebar|editor|window|library|page|dashboard|section|inspector|toolbar|"
     r"timeline)\b", "state"),
    (_LEAD + r"(?:drag(?:ging)?\b|drop(?:ping)?\s+(?:it|them|this|that|(?:the|your)\s+\w+)\s+"
     r"(?:into|onto|on|in|here|at)\b)", "edit"),
    (r"\bdrag[- ](?:and|&|n)[- ]drop\b", "edit"),
    (r"\bpreview\b[^,;:]*?\b(?:in|on)\s+(?:the\s+)?timeline\b", "state"),
    (_LEAD + r"(?:preview|play|watch|check|look at|see|view|review)\b[^,;:]*?\b"
     r"(?:timeline|preview (?:window|panel|pane|player)|player)\b", "state"),
    (_LEAD + r"preview\b", "state"),
    (r"(?:点击|单击|双击|点一下|轻点|点按)", None),
    (r"导出按钮|[“\"「【『]导出[”\"」】』]|(?:可以|即可|请|然后|再|就能|就可以|便可)(?:直接)?(?:导出|下载)", "export"),
    (r"(?:查看|前往|进入|访问|打开)[^，,；;。]{0,10}?" + _ACCOUNT_ZH, "credits"),
    (r"打开[^，,；;。]{0,15}?(?:面板|菜单|设置|页面|窗口|选项卡|标签页?|时间线|编辑器|素材库|工具栏)", "state"),
    (r"(?:将|把)?[^，,；;。]{0,15}?(?:拖拽|拖动|拖放|拖到|拖入|拖至)", "edit"),
    (r"(?:在|于)?时间线(?:上|中|里)?(?:预览|查看)|预览", "state"),
))
_KEYWORD_ACTIONS = (
    ("export", re.compile(r"export|download|render|导出|下载|渲染", re.I)),
    ("credits", re.compile(rf"{_ACCOUNT_EN}|credit|balance|top[- ]?up|upgrade|\bplan\b|积分|余额|{_ACCOUNT_ZH}",
                           re.I)),
    ("state", re.compile(r"preview|timeline|\btracks?\b|\bplay\b|预览|时间线|轨道|播放", re.I)),
)
_DRAG = re.compile(r"\b(?:drag|drop)(?:ging|ping)?\b|拖", re.I)
_UPLOAD_HINT = re.compile(r"\bhere\b|\bupload|\bfiles?\b|上传|文件|这里", re.I)

_SENTENCE_END = re.compile(r"((?<=[.!?…])\s+|(?<=[。！？]))")
_CLAUSE_SEP = re.compile(  # commas, dashes, or "and/then" before a GUI verb (not in "drag and drop")
    r"(\s*(?:[,;:](?!\d)|[，；：])\s*|\s+[—–-]\s+|(?<!drag)\s+(?:and then|then|and|or)\s+"
    r"(?=(?:you can |just |simply |please )?"
    r"(?:click|tap|press|hit|open|drag|drop|preview|go to|head|use|check|export|download)\b))", re.I)
_LINE_START = re.compile(r"^(\s*(?:(?:[-*•]|\d+[.)])\s+)?)(.*)$", re.S)
_TRAILING_FILLER = re.compile(
    r"(?:\s*(?:\b(?:and|then|so|so that|to|or|which|where|that|you can|you could|just|simply|now|"
    r"use|using|with|via)\b|[,;:—–-]|您|你|就|然后|再|并且?|即可|可以|请|只需|直接|[，、；：]))+\s*$",
    re.I)
_NO_CONTENT = re.compile(r"(?:tip|note|hint|pro tip|next steps?|next|first|then|finally|also|now|after that|"
                         r"lastly|提示|注意|首先|然后|接着|最后)", re.I)  # labels and sequencing words
_SUBORDINATE = re.compile(r"^(?:once|when|whenever|after|if|before|as soon as|to)\b|(?:后|之后|以后|时|的话)$", re.I)
_VIEW_BY = re.compile(r"^(?:you can |you'll be able to |you could )?"
                      r"(?:see|view|find|check|preview|review|access|watch|hear)\b", re.I)
_EN_PURPOSE = re.compile(r"\b(?:to|and)\s+(?P<p>.+)$", re.I)
_ZH_PURPOSE = re.compile(r"(?:面板|菜单|设置|页面|窗口|选项卡|标签页?|时间线|编辑器|素材库|工具栏|按钮|图标)"
                         r"(?:中|里|上|内)?(?:来|以|可以|即可|就可以|并)?(?P<p>.+)$")
_NO_OFFER = re.compile(  # purposes the actions already cover, or that only the GUI can do
    r"^(?:see|view|preview|check|watch|review|download|export|save|confirm|apply|finish|get|play|listen|hear|"
    r"start|continue|proceed|open|access|find|begin|render|top up|upgrade|buy|move(?:\s+to\b|$)|查看|预览|下载|"
    r"导出|保存|确认|应用|完成|播放|开始|继续|看到|浏览|获取|充值|升级|购买)", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def translate_gui(text: str) -> GuiTranslation:
    """``text`` without GUI instructions (content kept), and the API actions they stood for. Quoted lines
    (Markdown ``>``) are never touched."""
    actions: list[str] = []
    lines = []
    for line in text.split("\n"):
        if line.lstrip().startswith(">"):  # quoted words (a transcript, what the user said): content, kept
            lines.append(line)
            continue
        lead, body = _line_parts(line)
        translated = _translate_line(body, actions)
        if translated.strip() or not body.strip():
            lines.append(lead + translated)
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return GuiTranslation(result, tuple(dict.fromkeys(actions)))


def _line_parts(line: str) -> tuple[str, str]:
    """A line's list marker or indent, and the rest."""
    match = _LINE_START.match(line)  # matches every line; the fallback only satisfies the type
    return (match.group(1), match.group(2)) if match else ("", line)


def _sentences(text: str) -> list[tuple[str, str]]:
    """``text`` as (sentence, the gap after it) pairs; the last gap is ""."""
    pieces = _SENTENCE_END.split(text)  # one capture group: sentences at even places, gaps between them
    return list(zip(pieces[::2], [*pieces[1::2], ""], strict=True))


def _translate_line(line: str, actions: list[str]) -> str:
    out = "".join(t + gap for sentence, gap in _sentences(line) if (t := _translate_sentence(sentence, actions)))
    return out if out == line else out.rstrip()


def _translate_sentence(sentence: str, actions: list[str]) -> str:
    """The sentence with its GUI instructions dropped or rewritten as offers; unchanged without any."""
    body = re.sub(r"[.!?。！？…]*\s*$", "", sentence, count=1)
    stop = sentence[len(body):].strip()
    parts = _CLAUSE_SEP.split(body)
    kept: list[tuple[str, str]] = []
    offers: list[str] = []
    found = False
    for sep, clause in zip(["", *parts[1::2]], parts[::2], strict=True):
        content, instruction, element_end = _split_gui(clause)
        if instruction is None:
            kept.append((sep, clause))
            continue
        found = True
        actions.extend(a for a in [_gui_action(instruction)] if a)
        offers.extend(o for o in [_offer(instruction, element_end)] if o)
        if content:
            kept.append((sep, content))
    if not found:
        return sentence
    result = _join_kept(kept)
    if result:
        result = result[0].upper() + result[1:] + (stop or ("。" if _CJK.search(result) else "."))
    return ("" if _CJK.search(sentence) else " ").join(s for s in [result, *offers] if s)


def _split_gui(clause: str) -> tuple[str, str | None, int]:
    """(content before the GUI instruction, the instruction, where its GUI element ends in it).

    ``(clause, None, 0)`` without an instruction. Content that only says how to see something
    ("you can see it" before "by opening …") goes with the instruction.
    """
    matches = [m for pattern, _ in _GUI if (m := pattern.search(clause))]
    if not matches:
        return clause, None, 0
    cut = min(m.start() for m in matches)
    element_end = max(m.end() for m in matches if m.start() == cut) - cut
    instruction = clause[cut:].rstrip()
    content = _TRAILING_FILLER.sub("", clause[:cut]).strip()
    if re.match(r"by\b", instruction, re.I) and _VIEW_BY.match(content):
        content = ""
    return content, instruction, element_end


def _gui_action(instruction: str) -> str | None:
    if _DRAG.search(instruction) and _UPLOAD_HINT.search(instruction):
        return None  # "drag and drop your file here": how to upload, nothing to do
    fixed = next((action for pattern, action in _GUI if action and pattern.search(instruction)), None)
    return fixed or next((action for action, words in _KEYWORD_ACTIONS if words.search(instruction)), None)


def _offer(instruction: str, element_end: int) -> str | None:
    """An editing purpose as an offer: "Tell me if you'd like to adjust the volume."; else ``None``."""
    chinese = bool(_CJK.search(instruction))
    if _DRAG.search(instruction):
        purpose = "" if _UPLOAD_HINT.search(instruction) else _as_move(instruction)
    else:
        match = _ZH_PURPOSE.search(instruction) if chinese else _EN_PURPOSE.search(instruction, element_end)
        purpose = match.group("p").strip() if match else ""
    if not purpose or _NO_OFFER.match(purpose):
        return None
    return f"如需{purpose}，请直接告诉我。" if chinese else f"Tell me if you'd like to {purpose}."


def _as_move(instruction: str) -> str:
    """A drag instruction as a move: "you can drag the title to the top" → "move the title to the top"."""
    text = re.sub(r"拖到|拖入|拖至", "移到", instruction)
    text = re.sub(r"拖拽|拖动|拖放", "移动", text)
    text = re.sub(r"\bdrag(?:ging)?(?:[- ](?:and|&|n)[- ]drop)?\b|\bdrop(?:ping)?\b", "move", text, flags=re.I)
    return re.sub(r"^(?:(?:you can|you could|simply|just|please|then|now|and|or|try|你可以|您可以|可以|请|只需|直接)"
                  r"\s*)+", "", text, flags=re.I)


def _join_kept(kept: list[tuple[str, str]]) -> str:
    """Kept clauses with their separators; "" when only subordinate clauses or labels are left."""
    contents = [clause for _, clause in kept]
    if all(_SUBORDINATE.search(c) or _NO_CONTENT.fullmatch(c) for c in contents):
        return ""
    text = contents[0] + "".join(sep + clause for sep, clause in kept[1:])
    return _TRAILING_FILLER.sub("", text).strip()


# -- noise ----------------------------------------------------------------------------------------
_NOISE = re.compile(
    r"^(?:(?:sorry|unfortunately|oops|apologies|hmm)[,!.]?\s*)?(?:it (?:seems|looks like)\s+)?"
    r"(?:(?:i|we)(?:'ve| have)?\s+(?:encountered|ran into|run into|hit|experienced|had|faced)\s+"
    r"(?:a|an|some)\s+(?:\w+\s+)?(?:temporary|transient)\b"
    r"|(?:there (?:was|is|has been) )?an? temporary (?:issue|problem|error))"
    r"|^(?:抱歉|对不起|不好意思)?[，,]?\s*(?:我|系统)?(?:遇到|出现)了?(?:一个|一些)?(?:临时|暂时)性?的?(?:问题|错误|故障)",
    re.I)
_RETRY = re.compile(r"^(?:please\s+)?(?:try again|retry)\b.*|^请?稍后(?:再)?重?试.*", re.I)


def strip_noise(text: str) -> str:
    """Drop a trailing "I encountered a temporary issue…" (and a "please try again") after normal text."""
    sentences = [sentence + gap for sentence, gap in _sentences(text.strip()) if sentence]
    cut = len(sentences)
    while cut and (_NOISE.search(sentences[cut - 1].strip()) or _RETRY.search(sentences[cut - 1].strip())):
        cut -= 1
    tail = sentences[cut:]
    if cut == 0 or not any(_NOISE.search(s.strip()) for s in tail):
        return text
    return "".join(sentences[:cut]).rstrip()
