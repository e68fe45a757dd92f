"""Routing user text, translating the agent's GUI talk, dropping trailing noise."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

import pytest

from nemo_nb.routing import GuiTranslation, Intent, route, strip_noise, translate_gui

# -- route: keyword commands --------------------------------------------------------------------
COMMANDS = {
    "export": [
        "export", "Export", "export it", "Export it!", "export it please", "please export the video",
        "download", "download the video", "download it", "Download the final video.", "render it",
        "send me the video", "Send me the final video!", "send it over", "can you export the video as mp4?",
        "ok, export it now", "could you download the result for me", "I'd like to export my video",
        "get the download link", "export and download", "go ahead and export",
        "导出", "导出视频", "请导出", "帮我导出视频", "导出吧", "下载", "下载视频", "请帮我下载一下", "把视频发给我",
    ],
    "credits": [
        "credits", "Credits?", "my credits", "how many credits do I have?", "how many credits left",
        "check my balance", "balance", "what's my balance?", "What is my credit balance", "show my credits",
        "remaining credits", "credits left", "do I have enough credits", "am I out of credits?",
        "积分", "余额", "我的积分", "我还有多少积分？", "查询余额", "查看积分", "剩余积分", "积分还剩多少", "余额多少",
    ],
    "status": [
        "status", "Status?", "show tracks", "show me the tracks", "show the timeline", "state",
        "what's the status?", "what is the current status of the project", "check status", "timeline",
        "what's on the timeline?", "list tracks", "project status",
        "状态", "查看状态", "当前状态", "显示轨道", "时间线", "项目状态",
    ],
    "upload": [
        "upload", "Upload a video", "upload my clip", "I want to upload a file",
        "can I upload another video?",
        "上传", "上传视频", "我要上传素材", "上传一下文件",
    ],
}


@pytest.mark.parametrize(("text", "action"), [(t, a) for a, texts in COMMANDS.items() for t in texts])
def test_route_commands(text, action):
    assert route(text) == Intent(action)


@pytest.mark.parametrize("text", [
    # a keyword inside a longer editing request goes to the agent
    "add a download button overlay",
    "show the status bar text as a title",
    "make the credits roll at the end",
    "export-ready 9:16 version with captions",
    "add a title that says Export",
    "add an end card with credits and a download link",
    "upload the logo as a watermark in the corner",
    "show tracks of the waveform as an animated overlay",
    "the balance between music and voice is off",
    "status of the voiceover?",
    "render the title in red",
    "export the intro as a separate clip with a fade",
    "send me the video with Spanish subtitles added",
    "make a 9:16 version and then export it",
    "generate a natural-sounding voiceover in English for this silent video",
    "add BGM",
    "",
    "   ",
    "导出一个9:16的带字幕版本",
    "把标题改成余额",
    "在结尾加上积分榜",
    "显示状态栏文字作为标题",
    "上传的视频加上字幕",
])
def test_route_everything_else_goes_to_the_agent(text):
    assert route(text) == Intent("send")


# -- route: files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "paths"), [
    ("/Users/me/clip.mp4", ("/Users/me/clip.mp4",)),
    ("upload ~/Videos/trip.MOV", ("~/Videos/trip.MOV",)),
    ('upload "/Users/me/My Videos/clip one.mp4"', ("/Users/me/My Videos/clip one.mp4",)),
    ("please use 'C:\\Users\\me\\intro.webm'.", ("C:\\Users\\me\\intro.webm",)),
    ("add /tmp/music.mp3 as background music", ("/tmp/music.mp3",)),
    ("./a.png and ./b.jpeg, then ../c.m4a", ("./a.png", "./b.jpeg", "../c.m4a")),
    ("上传 /tmp/旅行.mp4", ("/tmp/旅行.mp4",)),
    ("上传/tmp/a.wav", ("/tmp/a.wav",)),
    ("upload clip.mp4 and intro.png", ("clip.mp4", "intro.png")),
    ("clip.mkv", ("clip.mkv",)),
    ("(/data/x.aac)", ("/data/x.aac",)),
    ("/a/x.gif /a/x.gif", ("/a/x.gif",)),
])
def test_route_paths_to_upload(text, paths):
    assert route(text) == Intent("upload", paths)


@pytest.mark.parametrize("text", [
    "https://example.com/video.mp4",
    "add a title saying see demo.mp4",
    "/tmp/notes.exe",
    "make it 9:16 and 1/2 speed",
    "use the mp4/mov presets",
])
def test_route_ignores_things_that_are_not_media_files(text):
    assert route(text).action == "send"


def test_route_existing_files(tmp_path, monkeypatch):
    (tmp_path / "clip.mp4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert route("add clip.mp4 to the timeline") == Intent("upload", ("clip.mp4",))
    assert route("notes.txt") == Intent("upload", ("notes.txt",))  # the upload then names the accepted types
    assert route(f"{tmp_path}/notes.txt") == Intent("upload", (f"{tmp_path}/notes.txt",))
    assert route("add demo.mp4 to the timeline") == Intent("send")  # no such file


def test_intent_and_translation_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        route("export").action = "send"
    with pytest.raises(dataclasses.FrozenInstanceError):
        translate_gui("x").text = "y"


def test_routing_imports_no_ipython_or_httpx():
    code = "import sys, nemo_nb.routing; print(sorted({'IPython', 'httpx'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- translate_gui ------------------------------------------------------------------------------
@pytest.mark.parametrize(("reply", "text", "actions"), [
    ("I've added the voiceover. Preview in timeline, then click Export to download.",
     "I've added the voiceover.", ("state", "export")),
    ("Your video is ready! Click Export to download it.", "Your video is ready!", ("export",)),
    ("Click the Export button in the top right corner to download your video.", "", ("export",)),
    ("Use the Export button to download the final MP4.", "", ("export",)),
    ("Done! You can now export your video.", "Done!", ("export",)),
    ("Once you're happy with it, hit Export.", "", ("export",)),
    ("Let me know if you'd like any changes, or click Export when you're ready.",
     "Let me know if you'd like any changes.", ("export",)),
    ("I've changed the title to 'Urban Dreams'; you can see it by opening the Text panel.",
     "I've changed the title to 'Urban Dreams'.", ("state",)),
    ("I've trimmed the intro so you can preview it in the timeline.", "I've trimmed the intro.", ("state",)),
    ("Check the timeline: the title now appears at 0-3s.", "The title now appears at 0-3s.", ("state",)),
    ("Open the Audio panel to adjust the volume of the background music.",
     "Tell me if you'd like to adjust the volume of the background music.", ("state",)),
    ("Open the Effects panel and choose a warm filter.", "Tell me if you'd like to choose a warm filter.",
     ("state",)),
    ("I've added the BGM, which you can drag to reposition.", "I've added the BGM.", ("edit",)),
    ("The subtitles are on the Captions track. Drag the title to the top of the frame.",
     "The subtitles are on the Captions track. "
     "Tell me if you'd like to move the title to the top of the frame.",
     ("edit",)),
    ("Tip: drag and drop your video here to get started.", "", ()),
    ("You can check your account page for your remaining credits.", "", ("credits",)),
    ("Go to Billing to top up your credits.", "", ("credits",)),
    ("Just press play in the preview window.", "", ("state",)),
    ("Click Apply to confirm.", "", ()),
    ("Click the dropdown and choose 9:16.", "Tell me if you'd like to choose 9:16.", ()),
    ("Next, drop it onto the timeline at 5s.", "Tell me if you'd like to move it onto the timeline at 5s.",
     ("edit",)),
    ("Click Generate to create the avatar presenter.",
     "Tell me if you'd like to create the avatar presenter.", ()),
    ("The voiceover is ready.\n\n- Preview it in the timeline\n- Click Export to download\n\nAnything else?",
     "The voiceover is ready.\n\nAnything else?", ("state", "export")),
    ("Added captions.\n1. Open the Text panel\n2. Change the font to Arial",
     "Added captions.\n2. Change the font to Arial", ("state",)),
    ("我已添加配音。请在时间线中预览，然后点击导出按钮下载。", "我已添加配音。", ("state", "export")),
    ("视频已完成，您可以导出了。", "视频已完成。", ("export",)),
    ("字幕已生成，点击右上角的导出即可下载。", "字幕已生成。", ("export",)),
    ("满意后，点击导出即可下载。", "", ("export",)),
    ("打开音频面板调整音量。", "如需调整音量，请直接告诉我。", ("state",)),
    ("你可以将背景音乐拖动到5秒处。", "如需将背景音乐移动到5秒处，请直接告诉我。", ("edit",)),
    ("请查看您的账户余额。", "", ("credits",)),
    ("已添加标题。打开文字面板即可查看。", "已添加标题。", ("state",)),
    ("背景音乐已添加，点击播放预览效果。", "背景音乐已添加。", ("state",)),
])
def test_translate_gui(reply, text, actions):
    assert translate_gui(reply) == GuiTranslation(text, actions)


@pytest.mark.parametrize("reply", [
    "I added a click sound at 2.5s and the video opens with a drone shot.",
    "I dropped the music volume to 20%.",
    "Export settings are 1080p H.264.",
    "I've added music, a title, and captions.",
    "The title drops in from the top and the intro drags a little, so I sped it up 1.5x.",
    "Your video has been exported to 9:16 and the preview looks great.",
    "Added a Spanish dub. The timeline now has 3 tracks:\n- Video: city (0-10s)\n- Voiceover: es (0-10s)",
    "已为你添加了英文配音，时长 30 秒。",
    "字幕已经导出为 SRT 格式并加入视频。",
    "Here is what it says:\n\n> [0:04] First, drag your clip onto the timeline.\n> [0:09] Next, open the effects "
    "panel on the right.\n\nSaved as transcript.en.txt.",
    "I heard 2 lines:\n\n> 1. Click Export when you are done.\n> 2. Preview it in the timeline.\n\nSend the "
    "Spanish translation.",
])
def test_translate_gui_keeps_plain_content_unchanged(reply):
    assert translate_gui(reply) == GuiTranslation(reply, ())


# -- strip_noise --------------------------------------------------------------------------------
@pytest.mark.parametrize(("reply", "expected"), [
    ("Done, the BGM is at 35%. I encountered a temporary issue…", "Done, the BGM is at 35%."),
    ("Added the title. Sorry, I encountered a temporary issue. Please try again later.", "Added the title."),
    ("Voiceover added!\nI ran into a temporary problem.", "Voiceover added!"),
    ("已添加字幕。抱歉，我遇到了临时问题，请稍后再试。", "已添加字幕。"),
    ("已添加字幕。我遇到了一个临时问题。", "已添加字幕。"),
])
def test_strip_noise_drops_a_trailing_temporary_issue(reply, expected):
    assert strip_noise(reply) == expected


@pytest.mark.parametrize("reply", [
    "I encountered a temporary issue…",
    "I encountered a temporary issue. Please try again.",
    "抱歉，我遇到了临时问题，请稍后再试。",
    "I encountered a temporary issue with TTS, so I used another voice. The voiceover is added.",
    "The temporary issue with audio sync is fixed.",
    "Added the title. Please try again with a shorter text if it looks cramped.",
    "",
])
def test_strip_noise_keeps_everything_else(reply):
    assert strip_noise(reply) == reply


@pytest.mark.parametrize("text", ["you can " * 12_000 + "open", "just " * 20_000 + "preview", "open the " * 11_000])
def test_translate_gui_stays_linear_on_long_replies(text):
    started = time.perf_counter()
    translate_gui(text)
    assert time.perf_counter() - started < 3  # a quadratic pattern takes tens of seconds here
