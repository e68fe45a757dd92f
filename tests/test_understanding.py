"""The understanding pipeline on its own (no server): slots in every common form, scripts kept apart from the
instruction, typos, clauses, questions, and bounded time on hostile messages."""
from __future__ import annotations

import time

import pytest

from nemo_nb.local.understanding import Scene, understand
from nemo_nb.local.understanding.spelling import Speller
from nemo_nb.local.understanding.words import SPELLER

CLIP = Scene(video=True, clips=("clip.mp4",), video_ms=24_000)
FULL = Scene(video=True, clips=("clip.mp4",), video_ms=24_000, music=True, voiceover=True, captions=True, titles=1)


def one(message: str, scene: Scene = CLIP):
    reading = understand(message, scene)
    assert len(reading.intents) == 1, reading.intents
    return reading.intents[0]


def kinds(message: str, scene: Scene = CLIP) -> list[str]:
    return understand(message, scene).kinds


@pytest.mark.parametrize("message,span", [
    ('add a title "A" from 1s for 2 seconds', (1000, 3000)),
    ('add a title "A" from 3s to 7s', (3000, 7000)),
    ('add a title "A" from 3 to 7 seconds', (3000, 7000)),
    ('put "A" on screen 0:10-0:20', (10_000, 20_000)),
    ('show "A" at 00:00:12 for 3 seconds', (12_000, 15_000)),
    ('add "A" between 20 and 23 seconds', (20_000, 23_000)),
    ('title "A" for the last five seconds', (19_000, 24_000)),
    ('title "A" for the first 4 seconds', (0, 4000)),
    ('title "A" from second five to second nine', (5000, 9000)),
    ('title "A" starting at two and a half seconds', (2500, 5500)),
    ('title "A" at 1m05s for 5 seconds', (65_000, 70_000)),
    ('put "A" at the one minute mark', (60_000, 63_000)),
    ("第3秒到第7秒显示标题“A”", (3000, 7000)),
    ("前5秒显示“A”", (0, 5000)),
    ("最后十秒显示文字“A”", (14_000, 24_000)),
    ("开头五秒显示“A”", (0, 5000)),
])
def test_times_in_every_common_form(message: str, span: tuple[int, int]) -> None:
    intent = one(message)
    assert intent.kind == "title" and intent.slots.text == "A"
    assert intent.slots.when is not None and intent.slots.when.span(80_000 if span[1] > 24_000 else 24_000, 3000) \
        == span


@pytest.mark.parametrize("message,anchor,length", [
    ("trim the first five seconds", "first", 5000), ("cut off the first three seconds", "first", 3000),
    ("remove the last four second", "last", 4000), ("lose the last 2 secs", "last", 2000),
    ("cut the first one and a half seconds", "first", 1500), ("remove the first minute", "first", 60_000),
    ("剪掉前5秒", "first", 5000), ("把开头五秒剪掉", "first", 5000), ("最后10秒不要了", "last", 10_000),
    ("trim 1 second off the start", "first", 1000), ("chop off the intro, the first 4 secs", "first", 4000),
])
def test_trims_at_either_end(message: str, anchor: str, length: int) -> None:
    intent = one(message)
    assert intent.kind == "trim" and intent.slots.when.anchor == anchor and intent.slots.when.duration == length


@pytest.mark.parametrize("message,total", [
    ("make it twelve seconds total", 12_000), ("shorten it to 10 seconds", 10_000),
    ("trim it to fifteen seconds", 15_000), ("make it 20 seconds long", 20_000),
    ("the video should be 15 seconds", 15_000),
])
def test_total_length(message: str, total: int) -> None:
    assert one(message).slots.when.total == total


@pytest.mark.parametrize("message,before,after", [
    ("turn the music down", 40, "<"), ("the music is too loud, lower it", 40, "<"), ("music quieter pls", 40, "<"),
    ("make the music half as loud", 40, 20), ("reduce the music volume by half", 40, 20),
    ("music down to 15%", 40, 15), ("lower the background music to twenty percent", 40, 20),
    ("music volume twenty percent", 40, 20), ("set the music to 35 per cent", 40, 35),
    ("音乐音量调到百分之二十", 40, 20),
    ("music a bit louder", 40, ">"), ("make the song twice as loud", 40, 80), ("lower the music by 10%", 40, 30),
    ("make the music 10% louder", 40, 50), ("音乐太大声了，小一点", 40, "<"), ("bring the music down a notch", 40, "<"),
])
def test_music_levels_never_go_the_wrong_way(message: str, before: int, after: int | str) -> None:
    intent = one(message, FULL)
    assert intent.kind == "music_level"
    new = intent.slots.level.apply(before)
    if after == "<":
        assert 0 < new < before
    elif after == ">":
        assert new > before
    else:
        assert new == after


@pytest.mark.parametrize("message", ["remove the original audio, i only want the music", "kill the original audio",
                                     "get rid of the camera sound but keep my song", "mute",
                                     "去掉原声，只保留背景音乐",
                                     "mute the clip but leave the music and the voice alone"])
def test_removing_the_original_sound_never_touches_the_music(message: str) -> None:
    found = understand(message, FULL).intents
    assert [i.kind for i in found] == ["original_level"] and found[0].slots.level.apply(100) == 0


@pytest.mark.parametrize("message,colour", [
    ('title "A" in green', "green"), ('title "A" in #FF5733', "#ff5733"), ("加一个红色的标题“A”", "red"),
    ('title "A" in light blue', "#80b3ff"), ('title "A" in grey', "gray"), ("标题“A”用蓝色", "blue"),
])
def test_colours_by_name_chinese_and_hex(message: str, colour: str) -> None:
    assert one(message).slots.colour == colour


@pytest.mark.parametrize("message,position", [
    ('title "A" at the very bottom', "bottom"), ('put "A" in the middle of the screen', "center"),
    ('put "A" in the top left corner', "top-left"), ('watermark "A" bottom right', "bottom-right"),
    ("标题“A”放在顶部", "top"), ('lower third: "A"', "bottom"),
])
def test_positions(message: str, position: str) -> None:
    assert one(message).slots.position == position


@pytest.mark.parametrize("message,language,text", [
    ("voiceover en español: Hola a todos.", "es", "Hola a todos."),
    ("Voiceover auf Deutsch: Willkommen in unserem Laden.", "de", "Willkommen in unserem Laden."),
    ("voiceover in Français : Merci d'être venus.", "fr", "Merci d'être venus."),
    ("日本語でナレーション：こんにちは、ようこそ。", "ja", "こんにちは、ようこそ。"),
    ("中文配音：大家好，欢迎来到我们的店。", "zh", "大家好，欢迎来到我们的店。"),
    ("add a voice over in spansih: Hola, bienvenidos a la clase.", "es", "Hola, bienvenidos a la clase."),
])
def test_languages_by_english_and_own_name_with_the_script_kept_as_typed(message: str, language: str,
                                                                          text: str) -> None:
    intent = one(message)
    assert intent.kind == "voiceover" and intent.slots.translations == {language: text}


def test_voices_and_pace() -> None:
    assert one("voiceover with a female voice: Your order is on its way.").slots.gender == "female"
    assert one("make voice of a man to read this text: Our clinic is open.").slots.gender == "male"
    assert one("voiceover at 1.2x speed: Big savings.").slots.pace.apply(1.0) == 1.2
    assert one("Voiceover, read slowly: Breathe in.").slots.pace.apply(1.0) < 1.0
    assert one("say it slow: Take your time.").slots.pace.apply(1.0) < 1.0
    assert one("fast-paced voiceover: New drop.").slots.pace.apply(1.0) > 1.0
    faster = one("read it a bit faster", FULL)
    assert faster.kind == "revoice" and faster.slots.pace.apply(1.0) > 1.0


def test_scripts_and_titles_never_mix_with_the_instruction_around_them() -> None:
    found = understand("Mute the original audio. Add a male voiceover: Here are five facts about the ocean. "
                       "Add a blue title 'Ocean Facts' at the top.", CLIP).intents
    assert [i.kind for i in found] == ["original_level", "voiceover", "title"]
    assert found[1].slots.text == "Here are five facts about the ocean."
    assert (found[2].slots.text, found[2].slots.colour, found[2].slots.position) == ("Ocean Facts", "blue", "top")
    quoted = one('add a voiceover: "Mute your phone and make it vertical, then enjoy the show."')
    assert quoted.slots.text == "Mute your phone and make it vertical, then enjoy the show."
    tail = understand("add a voiceover: Our team ships something new every Friday. also make it 4:5", CLIP).intents
    assert [i.kind for i in tail] == ["voiceover", "canvas"] and tail[1].slots.ratio == "4:5"
    assert "4:5" not in tail[0].slots.text


def test_translations_given_in_every_common_form() -> None:
    spanish = "Bienvenidos a la colección. Todo con diez por ciento."
    french = "Bienvenue dans la collection. Tout est moins cher."
    for message in (f"dub it into Spanish: {spanish}", f"in Spanish: {spanish} Please dub it.",
                    f"dub it in Español: {spanish}", f'now dub it into Spanish. Translation: "{spanish}"',
                    f"do a spanish dub; the spanish text is '{spanish}'"):
        intent = one(message, FULL)
        assert intent.kind == "dub" and intent.slots.languages == ["es"], message
        assert spanish in (intent.slots.translations.get("es") or intent.slots.text), message
    both = one(f"Spanish: {spanish} French: {french} Dub both.", FULL)
    assert both.slots.translations == {"es": spanish, "fr": french}


@pytest.mark.parametrize("message,kind", [
    ("add my clip to the timline", "place"), ("burn in captoins", "captions"), ("mak it 9:16", "canvas"),
    ("lowr the musik", "music_level"), ("make it sqaure", "canvas"), ("remvoe the music", "remove_music"),
    ("undoo", "undo"), ("add backround musci", "music"), ("trimm the frist 3 seconds", "trim"),
])
def test_typos_of_the_agents_own_words(message: str, kind: str) -> None:
    scene = Scene(pending=("clip.mp4",)) if "timline" in message else FULL if kind.endswith("music") or \
        kind == "music_level" else CLIP
    assert kind in kinds(message, scene)


def test_the_speller_keeps_real_words_scripts_and_file_names() -> None:
    for word in ("made", "tile", "lover", "and", "but", "out"):
        assert SPELLER.correct(word) == word
    assert SPELLER.correct("tittle") == "title" and SPELLER.correct("lowr") == "lower"
    speller = Speller(["music", "title"], known=["musk"])
    assert speller.correct("musk") == "musk" and speller.correct("musci") == "music"
    intent = one("add a voicover: Musik ist mein Leben.")
    assert intent.slots.text == "Musik ist mein Leben."
    song = one("put sogn.mp3 under the video", Scene(video=True, audio=("sogn.mp3",)))
    assert song.slots.uploads == ["sogn.mp3"]


@pytest.mark.parametrize("message,expected", [
    ("add calm music at 25% and fade it out over 3 seconds", ["music"]),
    ("fade in the music over 2 seconds and fade out over 4", ["music_fade"]),
    ("trim it to fifteen seconds and make it 9:16", ["trim", "canvas"]),
    ("cut the first 2 seconds, make it square, and put 'NEW' in red at the top", ["trim", "canvas", "title"]),
    ("remove the title and the captions", ["remove_title", "remove_captions"]),
    ("4:5 but don't crop anything", ["canvas"]),
    ("dub it into French and German", ["dub"]),
    ("make the voice female and a bit slower", ["revoice"]),
])
def test_every_clause_once(message: str, expected: list[str]) -> None:
    assert kinds(message, FULL) == expected


def test_clause_details_join_the_clause_they_belong_to() -> None:
    music = one("add calm music at 25% and fade it out over 3 seconds")
    assert (music.slots.level.percent, music.slots.fade_out) == (25, 3000)
    fades = one("fade in the music over 2 seconds and fade out over 4", FULL)
    assert (fades.slots.fade_in, fades.slots.fade_out) == (2000, 4000)
    assert one("4:5 but don't crop anything").slots.fit == "fit"
    assert one("dub it into French and German", FULL).slots.languages == ["fr", "de"]


@pytest.mark.parametrize("message", [
    "what's the best aspect ratio for YouTube Shorts?", "how many credits do I have left", "credits?",
    "我还剩多少积分？", "is this music safe to use on youtube?", "which voice is the voiceover using?",
    "Can you remind me what the voiceover says?", "do you have female voices?", "whats the max upload size",
])
def test_questions_are_questions(message: str) -> None:
    assert set(kinds(message, FULL)) == {"question"}


@pytest.mark.parametrize("message", [
    "is 9:16 right for TikTok? please don't change anything yet",
    "I'm thinking about lowering the music to 20%, but don't do it yet. What do you think?",
    "is it possible to make subtitle in arabic? only asking", "wait, don't do anything yet",
])
def test_nothing_changes_when_asked_not_to(message: str) -> None:
    assert not set(kinds(message, FULL)) - {"question", "held", "hold", "chat"}


@pytest.mark.parametrize("message", ["can you lower the music?",
                                     "the music is way too loud honestly, can you lower it?",
                                     "Could you bring the music down a little? Not remove it, just softer.",
                                     "I can't really hear the music anymore, turn it up a little?"])
def test_polite_requests_are_requests(message: str) -> None:
    assert kinds(message, FULL) == ["music_level"]


@pytest.mark.parametrize("message", ["make it better", "make it louder", "make it shorter", "remove it",
                                     "fix the audio"])
def test_unclear_requests_ask(message: str) -> None:
    assert kinds(message, FULL) == ["ask"]


@pytest.mark.parametrize("message", [
    "very " * 5000, "1" * 20_000, ":" * 20_000, "'" * 20_000, '"' * 20_000, "0:" * 10_000, '"unclosed ' * 2000,
    "add a voiceover: " + "la " * 6500, "9:16 " * 4000, "(((" * 6000, "the first " * 2000, "#fff " * 4000,
    "'a " * 6600, "a'b " * 5000, "剪掉前5秒" * 4000,
])
def test_hostile_messages_are_read_in_bounded_time(message: str) -> None:
    started = time.perf_counter()
    understand(message[:20_000], FULL)
    assert time.perf_counter() - started < 3.0  # super-linear parsing of 20 kB would take far longer


MUSIC = Scene(video=True, clips=("clip.mp4",), video_ms=24_000, music=True)
VOICE = Scene(video=True, clips=("clip.mp4",), video_ms=24_000, voiceover=True, music=True)


@pytest.mark.parametrize("message,scene,expected", [
    ("take the last 6 seconds out", CLIP, ["trim"]),
    ("turn the music down a notch", MUSIC, ["music_level"]),
    ("the soundtrack is a bit much, can you dial it back?", MUSIC, ["music_level"]),
    ("could the song be a little less loud?", MUSIC, ["music_level"]),
    ("voice up, music down", VOICE, ["voice_level", "music_level"]),
    ("honestly the narration gets lost, can the music sit further back?", VOICE, ["music_level"]),
    ("Music is nice but a tad loud", MUSIC, ["music_level"]),
    ("music's too quiet, crank it", MUSIC, ["music_level"]),
    ("Vertical, with upbeat music at 20%.", CLIP, ["canvas", "music"]),
    ("create a 9:16 avatar video with a friendly presenter, with captions: Hello. Big news today.", Scene(),
     ["presenter"]),
    ("Okay, the voiceover is great, but my manager says the voice should be female. Could you redo it with a "
     "woman's voice?", VOICE, ["revoice"]),
    ("✂️ first 5s + 🎵 chill music + 📱 vertical", CLIP, ["trim", "music", "canvas"]),
    ("cut everything before the 3 second mark", CLIP, ["trim"]),
    ("only keep the first half", CLIP, ["trim"]),
    ("mute one of them", Scene(video=True, clips=("a.mp4", "b.mp4"), video_ms=30_000), ["ask"]),
])
def test_fresh_phrasings(message: str, scene: Scene, expected: list[str]) -> None:
    assert [k for k in kinds(message, scene) if k != "chat"] == expected


def test_levels_follow_the_words_not_the_numbers_alone() -> None:
    down = one("bgm down 50%", MUSIC).slots.level
    assert down is not None and down.apply(40) == 20  # "down 50%" from 40: by half, never up to 50
    assert one("the song to 100%", MUSIC).slots.level.apply(40) == 100
    given = understand("The music is good but please you can make it more low, maybe 20 percent.", MUSIC)
    assert [i.slots.level.apply(40) for i in given.intents if i.kind == "music_level"] == [20]


def test_go_ahead_and_the_last_turn() -> None:
    asked = understand("would 9:16 be right for tiktok? don't change anything yet", CLIP)
    assert asked.kinds == ["question"] and asked.hold
    yes = understand("ok cool, do it", CLIP)
    assert yes.confirm
    done = understand(asked.text, CLIP, go_ahead=True)
    assert [i.kind for i in done.intents] == ["canvas"] and done.intents[0].slots.ratio == "9:16"
    later = Scene(video=True, clips=("clip.mp4",), video_ms=24_000, titles=1, last_target="title")
    assert kinds("actually make it red", later) == ["edit_title"]
    assert kinds("remove it", later) == ["ask"]  # a removal never guesses across turns
