"""Bad input and faults: a one-line error naming the file, exit 1, input unchanged, nothing partial.

Every case is generated at test time; the real model runs only where speech (or its
absence) must be judged.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from docx import Document
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.notes import classify
from pipeline.notes.build import build_notes
from pipeline.types import Segment, Transcript
from tests.conftest import ROOT, SAMPLES, encode, write_wav

runner = CliRunner()
OUTPUT_SUFFIXES = (".memo.docx", ".notes.json", ".srt", ".transcript.json")


def drafted(outdir: Path) -> list[str]:
    return sorted(p.name for p in outdir.iterdir()) if outdir.exists() else []


def draft_unchecked(inputs: list[Path], outdir: Path) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["draft", *map(str, inputs), "-o", str(outdir)])
    assert "Traceback" not in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    return result.exit_code, errors, result.output


def run_draft(inputs: list[Path], outdir: Path) -> tuple[int, list[str], str]:
    """`memo draft` in-process; also checks every input is byte-identical afterwards."""
    before = {p: p.read_bytes() for p in inputs if p.is_file()}
    outcome = draft_unchecked(inputs, outdir)
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was changed"
    return outcome


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve seconds of real meeting speech, cut from the English sample."""
    return encode(SAMPLES / "en-meeting.mp3", tmp_path_factory.mktemp("speech") / "speech.mp3", "-t", "12")


def bad_file(tmp_path: Path, case: str, speech: Path) -> Path:
    if case == "empty":
        (path := tmp_path / "empty.wav").write_bytes(b"")
    elif case == "text-named-wav":
        (path := tmp_path / "notes.wav").write_text("Meeting notes, not a recording.\n" * 100)
    elif case == "image-named-m4a":
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
        (path := tmp_path / "photo.m4a").write_bytes(png)
    elif case == "truncated-mp3":
        data = speech.read_bytes()
        (path := tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    elif case == "truncated-m4a":
        full = encode(speech, tmp_path / "full.m4a")
        data = full.read_bytes()
        full.unlink()
        (path := tmp_path / "cut.m4a").write_bytes(data[: len(data) // 2])
    elif case == "directory":
        (path := tmp_path / "folder.wav").mkdir()
    elif case == "missing":
        path = tmp_path / "missing.mp3"
    elif case == "tenth-of-a-second":
        path = write_wav(tmp_path / "blip.wav", 0.3 * np.sin(np.arange(1600) / 5))
    elif case == "digital-silence":
        path = write_wav(tmp_path / "silence.wav", np.zeros(16_000 * 60))
    elif case == "noise":
        rng = np.random.default_rng(7)
        white = rng.standard_normal(16_000 * 60)
        # pink-ish noise: integrate white noise and remove the drift
        pink = np.cumsum(white)
        pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
        path = write_wav(tmp_path / "noise.wav", 0.2 * pink / np.max(np.abs(pink)))
    else:
        raise AssertionError(case)
    return path


CASES = {
    "empty": "the file is empty",
    "text-named-wav": "not an audio file",
    "image-named-m4a": "holds no audio track",
    "truncated-mp3": "is truncated",
    "truncated-m4a": "truncated or damaged",
    "directory": "is a directory",
    "missing": "no such file",
    "tenth-of-a-second": "only 0.1 s of audio",
    "digital-silence": "no speech found",
    "noise": "no speech found",
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_recording_gets_one_line_and_the_good_one_is_still_drafted(
    tmp_path: Path, case: str, speech: Path
) -> None:
    bad = bad_file(tmp_path, case, speech)
    good = tmp_path / "good.transcript.json"
    good.write_text(
        json.dumps(
            {"language": "en", "segments": [{"id": 0, "start": 0, "end": 2, "text": "We cover Ohio."}]}
        )
    )
    out = tmp_path / "out"
    code, errors, output = run_draft([bad, good], out)
    assert code == 1, output
    assert len(errors) == 1, output
    assert bad.name in errors[0] and CASES[case] in errors[0], errors[0]
    # from a transcript, everything but the transcript itself (it is the input)
    assert drafted(out) == ["good.memo.docx", "good.notes.json", "good.srt"]


@pytest.mark.parametrize("name", ["meeting with spaces.mp3", "會議 #3 (final).mp3", "a&b'c.mp3"])
def test_awkward_names_are_drafted(tmp_path: Path, speech: Path, name: str) -> None:
    src = tmp_path / name
    shutil.copy(speech, src)
    code, _, output = run_draft([src], tmp_path / "out")
    assert code == 0, output
    stem = name[: -len(".mp3")]
    assert drafted(tmp_path / "out") == sorted(stem + s for s in OUTPUT_SUFFIXES)


def test_a_file_still_being_copied_is_refused_not_read_half_way(tmp_path: Path, speech: Path) -> None:
    data = speech.read_bytes()
    growing = tmp_path / "copying.mp3"
    growing.write_bytes(data[:4000])
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys,time\nf=open(sys.argv[1],'ab')\n"
         "for i in range(30):\n f.write(b'\\0'*500); f.flush(); time.sleep(0.1)", str(growing)]
    )  # fmt: skip
    try:
        # the file changes under us by design, so the unchanged-input check does not apply
        code, errors, _ = draft_unchecked([growing], tmp_path / "out")
    finally:
        writer.wait()
    assert code == 1
    assert "still being written" in errors[0]
    assert drafted(tmp_path / "out") == []


def transcript_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "odd.transcript.json"
    segs = [
        {"id": 0, "start": 0.0, "end": 4.0, "text": "We have three warehouses and cover four states."},
        {"id": 1, "start": 4.0, "end": 8.0, "text": text},
    ]
    path.write_text(json.dumps({"language": "en", "segments": segs}))
    return path


def test_control_characters_emoji_and_markup_give_a_valid_docx(tmp_path: Path) -> None:
    text = (
        "Our price list \x00\x0b\x1b is <b>&amp;</b> ready 😀 <script>alert(1)</script>, "
        "what are your payment terms?"
    )
    code, _, output = run_draft([transcript_with(tmp_path, text)], tmp_path / "out")
    assert code == 0, output
    doc = Document(str(tmp_path / "out" / "odd.memo.docx"))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "<b>&amp;</b>" in body and "😀" in body and "<script>alert(1)</script>" in body
    assert "\x00" not in body and "\x1b" not in body


@pytest.mark.parametrize(
    "content,message",
    [('{"language": "en", "segm', "not valid JSON"), ('{"memo": {}}', "not a meeting transcript")],
)
def test_broken_or_wrong_schema_transcripts_are_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    code, errors, _ = run_draft([path], tmp_path / "out")
    assert code == 1 and len(errors) == 1 and message in errors[0]
    assert drafted(tmp_path / "out") == []


IMPOSSIBLE_TIMES = {
    "start NaN": ('"start": NaN, "end": 8.0', "segment 7: start is NaN"),
    "end Infinity": ('"start": 4.0, "end": Infinity', "segment 7: end is Infinity"),
    "negative start": ('"start": -2.0, "end": 8.0', "segment 7: start is -2.0"),
    "end before start": ('"start": 8.0, "end": 4.0', "segment 7: ends at 4.0, before it starts (8.0)"),
    "word time NaN": (
        '"start": 4.0, "end": 8.0, "words": [{"start": NaN, "end": 5.0, "word": "What"}]',
        "segment 7, word 0: start is NaN",
    ),
}


@pytest.mark.parametrize("command", ["notes", "draft"])
@pytest.mark.parametrize("case", list(IMPOSSIBLE_TIMES))
def test_impossible_segment_times_are_one_line_naming_the_segment(
    tmp_path: Path, command: str, case: str
) -> None:
    times, message = IMPOSSIBLE_TIMES[case]
    path = tmp_path / "t.transcript.json"
    path.write_text(
        '{"language": "en", "segments": [{"id": 0, "start": 0.0, "end": 4.0, "text": "We have trucks."}, '
        f'{{"id": 7, {times}, "text": "What are your payment terms?"}}]}}'
    )
    result = runner.invoke(app, [command, str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and f"{path}: {message}" in errors[0], result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_recording_length_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "t.transcript.json"
    path.write_text(
        '{"language": "en", "source": {"path": "m.m4a", "duration_s": NaN}, '
        '"segments": [{"id": 0, "start": 0.0, "end": 4.0, "text": "We have trucks."}]}'
    )
    code, errors, _ = run_draft([path], tmp_path / "out")
    assert code == 1 and len(errors) == 1 and "source: duration_s is NaN" in errors[0]


def _sample_transcript(name: str) -> Transcript:
    """A sample meeting's turns as a transcript, five seconds a turn."""
    data = json.loads((SAMPLES / name).read_text("utf-8"))
    segments = tuple(
        Segment(id=i, start=i * 5.0, end=i * 5.0 + 4.0, text=turn["text"], speaker=turn["speaker"])
        for i, turn in enumerate(data["turns"])
    )
    return Transcript(language=data["language"], segments=segments, script=data.get("script"))


@pytest.mark.parametrize("sample", ["en-meeting.json", "zh-hant-meeting.json"])
def test_notes_matched_in_small_chunks_are_the_notes_of_one_doc(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = _sample_transcript(sample)
    whole = build_notes(transcript).to_dict()
    monkeypatch.setattr(classify, "CHUNK_CHARS", 40)  # most sentences alone in their doc
    assert build_notes(transcript).to_dict() == whole


def test_notes_of_a_transcript_over_a_million_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = [t["text"] for t in json.loads((SAMPLES / "en-meeting.json").read_text("utf-8"))["turns"]]
    segments, chars = [], 0
    while chars <= 1_050_000:  # about 17 hours of English
        text = turns[len(segments) % len(turns)]
        n = len(segments)
        segments.append({"id": n, "start": n * 5.0, "end": n * 5.0 + 4.0, "text": text})
        chars += len(text)
    path = tmp_path / "long.transcript.json"
    path.write_text(json.dumps({"language": "en", "segments": segments}))
    docs: list[int] = []
    match = classify.match
    monkeypatch.setattr(classify, "match", lambda lang, text: docs.append(len(text)) or match(lang, text))
    result = runner.invoke(app, ["notes", str(path), "-o", str(tmp_path / "long.notes.json")])
    assert result.exit_code == 0, result.output
    notes = json.loads((tmp_path / "long.notes.json").read_text("utf-8"))
    assert [s["id"] for s in notes["segments"]] == list(range(len(segments)))
    # Memory is bounded by the size of a doc: a chunk and a little of its neighbours.
    assert len(docs) > 1 and max(docs) <= classify.CHUNK_CHARS + 2 * (classify.CONTEXT_CHARS + 1)


@pytest.mark.parametrize("err,message", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "not writable")])
def test_disk_full_or_read_only_output_leaves_no_half_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: int, message: str
) -> None:
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] >= 3:  # transcript and notes are written, then the disk "fills up"
            raise OSError(err, os.strerror(err))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, errors, _ = run_draft([transcript_with(tmp_path, "What is your MOQ?")], tmp_path / "out")
    assert code == 1 and message in errors[0]
    left = drafted(tmp_path / "out")
    assert "odd.memo.docx" not in left
    assert not [n for n in left if n.endswith(".part")]


def test_a_real_tiny_filesystem_that_fills_up(tmp_path: Path) -> None:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(mnt)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a small tmpfs here (not root or no mount privilege)")
    try:
        code, errors, _ = run_draft([transcript_with(tmp_path, "What is your MOQ?")], mnt)
        assert code == 1 and "disk is full" in errors[0]
        assert "odd.memo.docx" not in drafted(mnt)
        assert not [n for n in drafted(mnt) if n.endswith(".part")]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_sigkill_mid_draft_then_rerun_writes_each_output_once(tmp_path: Path, speech: Path) -> None:
    src = tmp_path / "meeting.mp3"
    shutil.copy(speech, src)
    out = tmp_path / "out"
    memo = [str(ROOT / ".venv" / "bin" / "memo")] if (ROOT / ".venv/bin/memo").exists() else ["memo"]
    proc = subprocess.Popen([*memo, "draft", str(src), "-o", str(out)], stderr=subprocess.DEVNULL)
    time.sleep(4)  # model loaded, transcription under way
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert [n for n in drafted(out) if not n.startswith(".")] in (
        [],
        sorted("meeting" + s for s in OUTPUT_SUFFIXES),
    )
    done = subprocess.run([*memo, "draft", str(src), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert drafted(out) == sorted("meeting" + s for s in OUTPUT_SUFFIXES)
    assert src.read_bytes() == speech.read_bytes()


@pytest.fixture(scope="module")
def two_hours(tmp_path_factory: pytest.TempPathFactory, speech: Path) -> Path:
    """A two-hour recording: silence, twelve seconds of speech at the one-hour mark, silence."""
    from pipeline.asr.audio import ffmpeg_exe

    out = tmp_path_factory.mktemp("long") / "two hours.mp3"
    silence = "anullsrc=r=16000:cl=mono"
    mono = "aresample=16000,aformat=channel_layouts=mono"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-t", "3600", "-i", silence, "-i", str(speech),
         "-f", "lavfi", "-t", "3588", "-i", silence,
         "-filter_complex", f"[1:a]{mono}[s];[0:a][s][2:a]concat=n=3:v=0:a=1",
         "-c:a", "libmp3lame", "-b:a", "32k", str(out)],
        check=True,
    )  # fmt: skip
    return out


# The child reports its own peak (VmHWM): ru_maxrss from wait4 would include this pytest
# process's memory, which a vforked child inherits as its high-water mark across exec.
_PEAK_REPORTER = """
import atexit, sys
def report():
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    sys.stderr.write("PEAK " + hwm[0].split()[1] + "\\n")
atexit.register(report)
from pipeline.cli.main import main
sys.argv = ["memo", *sys.argv[1:]]
main()
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_an_hours_long_recording_drafts_in_bounded_memory(tmp_path: Path, two_hours: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_REPORTER, "draft", str(two_hours), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stderr.split("PEAK ")[1].split()[0]) / 1024
    assert peak_mb < 1200, f"peak memory {peak_mb:.0f} MB"
    segments = json.loads((tmp_path / "two hours.transcript.json").read_text("utf-8"))["segments"]
    assert segments and all(3595 <= s["start"] <= 3615 for s in segments)


def test_progress_is_reported_through_a_long_recording(two_hours: Path) -> None:
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    seen: list[tuple[float, float]] = []
    transcribe(two_hours, TranscribeOptions(language="en"), progress=lambda d, t: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert len(seen) >= 12  # at least once per ten-minute window
    assert done == sorted(done) and done[-1] == pytest.approx(7200, abs=2)
    assert all(t == pytest.approx(7200, abs=2) for _, t in seen)
