"""Audio in: formats decoded to 16 kHz mono; bad files rejected with a clear reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.asr.audio import SAMPLE_RATE, decode, file_sha256, load, peak_dbfs
from pipeline.errors import InputError, NoSpeechError
from tests.conftest import encode, write_wav


@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".flac", ".ogg", ".opus", ".wma", ".amr"])
def test_recorder_formats_decode_to_16k_mono(tone_wav: Path, tmp_path: Path, suffix: str) -> None:
    extra = ["-ar", "8000"] if suffix == ".amr" else []
    src = encode(tone_wav, tmp_path / f"tone{suffix}", *extra)
    samples = decode(src)
    assert samples.dtype == np.float32
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.15
    assert peak_dbfs(samples) > -15


def test_audio_track_of_a_video_is_used(tone_wav: Path, tmp_path: Path) -> None:
    video = encode(
        tone_wav, tmp_path / "clip.mp4", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2", "-shortest"
    )
    assert abs(len(decode(video)) / SAMPLE_RATE - 2.0) < 0.15


def test_stereo_44k_is_downmixed_and_resampled(tmp_path: Path) -> None:
    t = np.arange(44_100) / 44_100
    src = write_wav(tmp_path / "s.wav", 0.2 * np.sin(2 * np.pi * 300 * t), rate=44_100)
    stereo = encode(src, tmp_path / "stereo.wav", "-ac", "2")
    assert abs(len(decode(stereo)) - SAMPLE_RATE) < 50


def test_load_records_checksum_and_duration(tone_wav: Path) -> None:
    audio = load(tone_wav)
    assert audio.sha256 == file_sha256(tone_wav)
    assert abs(audio.duration_s - 2.0) < 0.01


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load(empty)


def test_text_named_wav_is_not_audio(tmp_path: Path) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_text("this is not a recording\n" * 50)
    with pytest.raises(InputError, match="not an audio file"):
        load(fake)


def test_missing_file_and_directory_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.mp3")
    with pytest.raises(InputError, match="directory"):
        load(tmp_path)


def test_digital_silence_is_no_speech(tmp_path: Path) -> None:
    silent = write_wav(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE * 3))
    with pytest.raises(NoSpeechError, match="no speech"):
        load(silent)


def test_a_tenth_of_a_second_is_too_short(tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.3 * np.ones(SAMPLE_RATE // 10))
    with pytest.raises(InputError, match=r"only 0\.1 s"):
        load(short)


def test_streamed_blocks_add_up_to_the_decoded_audio(tmp_path: Path) -> None:
    from pipeline.asr.audio import stream

    t = np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE
    src = write_wav(tmp_path / "five.wav", 0.3 * np.sin(2 * np.pi * 220 * t))
    blocks = list(stream(src, block_s=2.0))
    assert [len(b) for b in blocks] == [2 * SAMPLE_RATE, 2 * SAMPLE_RATE, SAMPLE_RATE]
    assert np.array_equal(np.concatenate(blocks), decode(src))


def test_long_audio_is_cut_into_windows_at_a_pause(tmp_path: Path) -> None:
    from pipeline.asr.audio import windows

    t = np.arange(30 * SAMPLE_RATE) / SAMPLE_RATE
    x = 0.3 * np.sin(2 * np.pi * 220 * t)
    x[int(8.5 * SAMPLE_RATE) : int(9.5 * SAMPLE_RATE)] = 0.0  # the one pause near the 10 s mark
    src = write_wav(tmp_path / "thirty.wav", x)
    parts = list(windows(src, window_s=10.0, search_s=4.0))
    first_offset, first, last = parts[0]
    assert first_offset == 0.0 and not last
    assert 8.5 <= len(first) / SAMPLE_RATE <= 9.5  # cut inside the pause, not at 10 s
    assert parts[-1][2] and not any(p[2] for p in parts[:-1])
    assert sum(len(p[1]) for p in parts) == 30 * SAMPLE_RATE
    assert all(
        abs(parts[i + 1][0] - parts[i][0] - len(parts[i][1]) / SAMPLE_RATE) < 1e-9
        for i in range(len(parts) - 1)
    )


def test_a_short_recording_is_one_window(tone_wav: Path) -> None:
    from pipeline.asr.audio import windows

    assert [(o, last) for o, _, last in windows(tone_wav)] == [(0.0, True)]
