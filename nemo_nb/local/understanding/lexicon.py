"""The agent's own vocabulary: every word and phrase it understands, by category and meaning.

Each entry is ``meaning: "phrase | phrase | …"``. A phrase is matched as whole tokens (English words,
numbers, single Chinese characters), the longest phrase first. These words are also the vocabulary
that typos are corrected against (``spelling``), so a word added here is understood misspelt too.
Colours, languages and platforms come from their own tables (``nemo_nb.draft.colours``,
``nemo_nb.draft.languages``, ``platforms``).
"""
from __future__ import annotations

from collections.abc import Mapping

VERBS: Mapping[str, str] = {
    "add": "add | adds | adding | added | use | using | put | place | insert | include | throw | slap | stick | lay"
           " | give | apply | attach | create | generate | burn | burn in | show | display | write | type | stamp"
           " | print | get | bring in | i want | i need | need | want | i'd like | would like | 加 | 添加 | 加上"
           " | 加入 | 加个 | 加一个 | 加一段 | 放上 | 配上 | 显示 | 插入 | 生成",
    "make": "make | turn | convert | format | do | render | export | resize | reformat | 做成 | 改成 | 变成 | 弄成"
            " | 转成 | 做 | 弄",
    "remove": "remove | delete | erase | clear | ditch | scrap | kill | nuke | lose | strip | strip out | get rid of"
              " | take out | take off | take away | turn off | switch off | off | hide | drop | 去掉 | 删除 | 删掉"
              " | 去除 | 拿掉 | 关掉 | 不要 | 取消",
    "mute": "mute | silence | 静音",
    "restore": "unmute | bring back | restore | put back | 恢复",
    "lower": "lower | reduce | decrease | dial back | pull back | scale back | ease off | back off | soften | dim"
             " | quieten | turn down | bring down | tone down | drop down | dial down | pull down | turn it down"
             " | bring it down | 调低 | 降低 | 调小 | 减小 | 放低 | 压低",
    "raise": "raise | increase | boost | amplify | crank | pump it up | turn up | bring up | pump up | crank up"
             " | dial up | turn it up | 调高 | 提高 | 调大 | 加大 | 放大",
    "set": "set | adjust | bring | dial | pump | 调到 | 设为 | 设成 | 调成 | 设置",
    "change": "change | edit | modify | update | redo | re-record | record again | switch | swap | replace | rename"
              " | alter | 改 | 换 | 更换 | 替换 | 修改 | 换成",
    "move": "move | shift | reposition | 移到 | 移动 | 挪到 | 放到 | 放在",
    "trim": "trim | cut | shorten | chop | chop off | snip | skip | cut off | cut out | cut down | 剪 | 剪掉 | 裁掉"
            " | 剪短 | 截掉 | 砍掉",
    "keep": "keep | only need | only want | preserve | retain | leave | 保留 | 只要 | 只留",
    "undo": "undo | revert | go back | roll back | take that back | 撤销 | 撤回",
    "dub": "dub | dubs | dubbing | dubbed | 译制 | 配成 | 吹き替え | 더빙",
    "translate": "translate | translated | localize | localise | 翻译 | 翻成 | 译成",
    "speak": "say | says | read | narrate | speak | voice | 说 | 念 | 朗读",
    "fade": "fade | fades | fading | 淡入 | 淡出",
    "speed": "speed up | speed it up | slow down | slow it down | 加速 | 减速",
    "start": "start | begin | starts | begins",
    "end": "end | finish | stop | ends",
}

TARGETS: Mapping[str, str] = {
    "music": "music | musik | bgm | soundtrack | song | songs | beat | beats | tune | tunes | track"
             " | background track | background song | background music | music bed | jingle | instrumental | lofi"
             " | lo-fi | lo fi | 音乐 | 背景音乐 | 配乐 | 歌 | 歌曲 | 背景乐",
    "original": "original audio | original sound | original track | original | source audio | camera sound"
                " | camera audio | own sound | own audio | clip sound | clip audio | video sound | video audio"
                " | natural sound | ambient sound | live sound | 原声 | 原音 | 原始声音 | 视频声音 | 现场声"
                " | 视频原声",
    "sound": "sound | audio | volume | 声音 | 音量",
    "voice": "voiceover | voiceovers | voice over | voice-over | vo | narration | narrator | voice | voices | tts"
             " | text to speech | text-to-speech | speech | ai voice | 配音 | 旁白 | 解说 | 人声 | ナレーション"
             " | 내레이션",
    "captions": "caption | captions | subtitle | subtitles | subs | cc | closed captions | srt | subtitle file | 字幕"
                " | 자막",
    "title": "title | titles | text | heading | headline | overlay | text overlay | lower third | end card"
             " | end screen | watermark | banner | label | tagline | words | 标题 | 文字 | 文本 | 大标题",
    "canvas": "aspect ratio | ratio | format | frame | size | resolution | shape | orientation | dimensions | 比例"
              " | 尺寸 | 画幅 | 格式 | 分辨率",
    "video": "video | videos | clip | clips | footage | timeline | movie | film | recording | whole thing | 视频"
             " | 片子 | 素材",
    "loudness": "loudness | lufs | normalization | normalisation | normalize | normalise | normalized | normalised"
                " | loudness normalization | loudness normalisation | loudness level | loudness target | 响度",
    "presenter": "avatar | presenter | spokesperson | spokesman | spokeswoman | talking head | host | anchor"
                 " | ai person | virtual presenter | 数字人 | 主持人 | 虚拟主播 | 虚拟人",
}

UNSUPPORTED: Mapping[str, str] = {
    "sound effects": "effect | effects | sound effect | sound effects | sfx | 特效 | 音效",
    "filters": "filter | filters | lut | hdr | color grading | colour grading | grade | 滤镜",
    "transitions": "transition | transitions | 转场",
    "noise removal": "noise | background noise | hum | hiss | echo | 降噪 | 噪音 | 杂音",
    "stickers and animations": "sticker | stickers | gif | gifs | emoji | emojis | animation | animations | 贴纸",
    "slow motion and speed changes": "slow motion | slow-mo | slowmo | reverse | loop | 慢动作",
    "zooms and picture effects": "zoom | blur | stabilize | stabilise | stabilization | brightness | contrast"
                                 " | saturation | green screen | 美颜",
    "picture overlays": "logo | image overlay | picture in picture",
    "an intro or outro": "intro | outro | 片头 | 片尾",
    "thumbnails": "thumbnail | thumbnails | cover image | 封面",
}

MODIFIERS: Mapping[str, Mapping[str, str]] = {
    "direction": {
        "down": "further back | sit back | less prominent | in the background more | more soft | more softly"
                " | more gentle | more subtle | too loud | too strong | too much | too high | too noisy | quieter"
                " | softer | lower | down | less | less loud | more low | more quiet | drowning | drowns"
                " | drowning out | overpowering | overpowers | competes | distracting | disturbing | 太大声 | 太吵"
                " | 太响 | 小声 | 轻一点 | 小点 | 小一点 | 低一点",
        "up": "gets lost | get lost | lost | drowned out | drowned | can't be heard | louder | up | higher | more"
              " | too quiet | too soft | too low | can't hear | cannot hear | can not hear | barely hear"
              " | hardly hear | can barely hear | can hardly hear | can't really hear | couldn't hear | hard to hear"
              " | not loud enough | 大声 | 响一点 | 太小声 | 听不到 | 听不清 | 大一点 | 高一点",
    },
    "magnitude": {
        "small": "a bit | a little | a little bit | little bit | bit | slightly | a notch | a touch | a tad"
                 " | somewhat | little | 一点 | 一些 | 稍微 | 有点",
        "large": "much | a lot | way | far | lots | very | really | 很多 | 大幅",
    },
    "factor": {
        "0.5": "half as loud | half as much | half the volume | half volume | halve | halved | by half | to half"
               " | half as quiet | 一半 | 减半",
        "2": "twice as loud | twice | double | doubled | 两倍 | 加倍",
    },
    "level": {
        "20": "quiet | quietly | low | soft | softly | subtle | subtly | faint | barely audible",
        "60": "loud | loudly | strong | prominent",
        "100": "full volume | full | max | maximum",
    },
    "fade": {
        "in": "fade in | fade-in | fades in | fading in | 淡入",
        "out": "fade out | fade-out | fades out | fading out | 淡出",
    },
    "loudness_use": {  # LUFS that a kind of outlet expects (every video platform: -14, the default)
        "-16": "podcast | podcasts | apple podcasts | audiobook | audiobooks | 播客",
        "-23": "broadcast | tv broadcast | ebu r128 | r128 | 广播",
    },
    "mood": {
        "upbeat": "upbeat | energetic | happy | fun | lively | punchy | exciting | hype | cheerful | bouncy | 欢快"
                  " | 动感 | 活泼",
        "cinematic": "cinematic | epic | dramatic | trailer | emotional | inspiring | orchestral | 史诗 | 大气",
        "calm": "calm | chill | chilled | relaxed | relaxing | ambient | gentle | mellow | peaceful | soothing | lofi"
                " | lo-fi | 轻松 | 舒缓 | 安静 | 轻柔",
    },
    "position": {
        "top-left": "top left | top-left | upper left | left top | top left corner | 左上角 | 左上",
        "top-right": "top right | top-right | upper right | right top | top right corner | 右上角 | 右上",
        "bottom-left": "bottom left | bottom-left | lower left | left bottom | bottom left corner | 左下角 | 左下",
        "bottom-right": "bottom right | bottom-right | lower right | right bottom | bottom right corner | 右下角"
                        " | 右下",
        "corner": "corner | in the corner | small box | 角落",
        "top": "top | upper | header | the very top | 顶部 | 上方 | 上面 | 顶端 | 上边",
        "bottom": "bottom | footer | the very bottom | lower third | 底部 | 下方 | 下面 | 底端 | 下边",
        "center": "center | centre | middle | centered | centred | 中间 | 居中 | 中央",
    },
    "shape": {
        "9:16": "vertical | portrait | 竖屏 | 竖版 | 竖的",
        "16:9": "landscape | horizontal | widescreen | 横屏 | 横版 | 横的",
        "1:1": "square | 方形 | 正方形 | 方的",
    },
    "fit": {
        "blur": "blur | blurred | blurry | blurred background | blurry background | blur the background"
                " | blurred edges | 模糊背景",
        "fill": "fill | crop | cropped | without bars | without black bars | no letterbox | no letterboxing | zoom in"
                " | full screen | fullscreen | no bars | no black bars | fill the frame | 裁切 | 填满 | 铺满",
        "fit": "fit | with bars | black bars | keep the bars | keep the black bars | black bars are fine"
               " | letterbox | letterboxed | whole picture | don't crop | do not crop | no crop"
               " | no cropping | without cropping | 不裁切 | 不要裁切",
    },
    "gender": {
        "female": "female | woman | women | woman's | lady | girl | feminine | her voice | 女声 | 女性 | 女生 | 女",
        "male": "male | man | men | man's | guy | boy | masculine | his voice | 男声 | 男性 | 男生 | 男",
    },
    "pace": {
        "slower": "slow | slower | slowly | calmly | unhurried | take your time | 慢 | 慢一点 | 慢慢",
        "faster": "fast | faster | quick | quicker | quickly | brisk | fast-paced | fast paced | snappy | 快 | 快一点",
    },
    "size": {
        "1080": "1080p | full hd | fhd",
        "720": "720p | hd",
        "2160": "4k | uhd | 2160p",
        "1440": "1440p | 2k",
    },
    "negation": {
        "not": "don't | dont | do not | not | never | no need to | without | nobody | no one | noone | 别 | 不用"
               " | 先别 | 无需",
    },
    "no": {
        "no": "no | no need for | don't need | do not need | don't want | do not want | no more | 不需要 | 无",
    },
    "spread": {
        "spread": "spread | spread out | evenly | across the whole | over the whole | throughout",
    },
    "everything": {
        "all": "everything | all | all the audio | all sounds | 全部 | 所有",
    },
    "except": {
        "except": "except | except for | but not | apart from | other than | 除了",
    },
    "instead": {
        "instead": "instead | instead of | rather than",
    },
}

# A message that asks for nothing to change (even when it also names an edit).
HOLD = ("don't change anything | do not change anything | don't do anything | do not do anything | don't apply"
        " | don't apply it | don't do it yet | do not apply | not yet | just asking | only asking | just wondering"
        " | just curious | no changes | no change needed | no changes needed | leave it as is | hold on"
        " | don't touch anything | don't edit anything | 先别改 | 先不要改 | 不用改 | 先别动 | 只是问问 | 先不改"
        " | 别改")

# "Yes, do it": the go-ahead for what the agent held back or offered in the previous turn.
CONFIRM = ("do it | go ahead | go for it | yes please | yes do it | please do | apply it | make it so | proceed"
           " | let's do it | ok do it | yes go ahead | sure go ahead | do that | sounds good do it | 好的改吧 | 改吧"
           " | 可以改了 | 就这样改 | 就这么办")
GREETINGS = ("hi | hello | hey | hiya | howdy | good morning | good afternoon | good evening | yo | greetings | 你好"
             " | 您好 | 嗨 | 早上好")
THANKS = ("thanks | thank you | thx | ty | cheers | much appreciated | appreciate it | 谢谢 | 多谢 | 感谢")
ACKS = ("ok | okay | k | cool | great | nice | awesome | perfect | lol | lmao | haha | wow | amazing | good"
        " | sounds good | looks good | looks great | love it | got it | alright | sure | fine | 好的 | 好 | 不错"
        " | 可以")
