"""Inspecting a rendered WAV without trusting it.

The file was written by model code, so its header may lie: a FLAC renamed `output.wav`, a sample
rate of 1 Hz, a data chunk claiming 10^9 frames, a thousand channels. libsndfile quietly guesses
around such headers (it clamps a data size past the end of the file, and it reads FLAC as happily
as WAV), so the RIFF/RF64 header is parsed here first, by hand, and the file is refused before any
sample is read. Samples are then read block by block, so the harness's memory stays bounded by
the block size whatever the file says.

The check decides `ok` versus `invalid_audio`; everything it measures is kept, so a researcher can
tell a wrong-length clip from a silent, DC-only or clipped one without opening the file.
"""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audioprobe.hashing import sha256_file

SILENCE_PEAK = 1e-4  # below this, peak (or, for a constant signal, peak-to-peak) is silence
MIN_RATE, MAX_RATE = 8_000, 192_000
MAX_CHANNELS = 2
DURATION_FACTOR = 10  # a clip longer than 10x its target is refused unread
MIN_DURATION_CAP_S = 30.0  # ...but never a cap below this (short targets, baselines)
CLIP_SHARE = 0.001  # more than 0.1 % of samples at integer full scale counts as clipping
BLOCK_FRAMES = 65_536
MAX_CHUNKS = 1_000  # a header needs a handful; a file of millions of empty chunks is a stall

# Leading bytes of the audio formats a script is likely to save under the wrong name.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"fLaC", "FLAC"),
    (0, b"OggS", "Ogg (Vorbis/Opus)"),
    (0, b"ID3", "MP3"),
    (0, b"FORM", "AIFF"),
    (0, b"caff", "CAF"),
    (0, b".snd", "Sun/NeXT AU"),
    (0, b"MThd", "MIDI"),
    (0, b"\x1aE\xdf\xa3", "Matroska/WebM"),
    (4, b"ftyp", "MP4/M4A"),
    (0, b"wvpk", "WavPack"),
    (0, b"MAC ", "Monkey's Audio"),
    (0, b"\x89PNG", "PNG image"),
    (0, b"PK\x03\x04", "ZIP archive"),
    (0, b"\x93NUMPY", "NumPy .npy array"),
)


@dataclass
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    peak: float | None
    rms: float | None
    has_nonfinite: bool
    silent: bool
    subtype: str
    sha256: str
    peak_to_peak: float | None = None
    clipping: str | None = None  # why the signal counts as clipped, if it does

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AudioVerdict:
    info: AudioInfo | None
    problem: str | None  # None: usable audio


@dataclass(frozen=True)
class WavHeader:
    """What a RIFF/RF64 header claims, before any sample is trusted."""

    sample_rate: int
    channels: int
    block_align: int
    frames_claimed: int
    frames_in_file: int


def max_duration_s(target_s: float | None) -> float:
    """The longest clip read for a target length: DURATION_FACTOR x target, at least the floor."""
    return max(DURATION_FACTOR * (target_s or 0.0), MIN_DURATION_CAP_S)


def sniff(head: bytes) -> str:
    """A name for what `head` looks like when it is not a WAV ('' if unrecognised)."""
    for offset, magic, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "MPEG audio (MP3)"
    return ""


def read_header(path: Path) -> tuple[WavHeader | None, str]:
    """Parse the RIFF/RF64 chunk list: (header, '') or (None, why it is not a usable WAV)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64") and head[8:12] != b"WAVE":
            # a hand-written header gone wrong (an extra byte, big-endian sizes): say where
            return None, (
                f"broken WAV header: {head[:4].decode()} is not followed by a size and 'WAVE' "
                f"(bytes 8-12 are {head[8:12]!r})"
            )
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64"):
            looks = sniff(head)
            shown = f"looks like {looks}" if looks else f"starts with {head[:4]!r}"
            return None, f"not a WAV file ({shown})"
        ds64_data: int | None = None
        fmt: tuple[int, int, int] | None = None
        pos = 12
        for _ in range(MAX_CHUNKS):
            if pos + 8 > size:
                break
            fh.seek(pos)
            cid, csize = struct.unpack("<4sI", fh.read(8))
            if cid == b"ds64" and csize >= 16:
                ds64_data = struct.unpack("<QQ", fh.read(16))[1]
            elif cid == b"fmt " and csize >= 16:
                _, channels, rate, _, align = struct.unpack("<HHIIH", fh.read(14))
                fmt = (channels, rate, align)
            elif cid == b"data":
                if fmt is None:
                    return None, "broken WAV: the data chunk comes before the fmt chunk"
                channels, rate, align = fmt
                if align == 0 or channels == 0:
                    return None, f"broken WAV: {channels} channel(s), block size {align}"
                available = size - (pos + 8)
                claimed = ds64_data if csize == 0xFFFFFFFF and ds64_data is not None else csize
                if claimed in (0, 0xFFFFFFFF):  # streamed: the writer never went back to fill it
                    claimed = available
                return WavHeader(
                    rate, channels, align, claimed // align, min(claimed, available) // align
                ), ""
            pos += 8 + csize + (csize & 1)
        else:
            return None, f"broken WAV: more than {MAX_CHUNKS} chunks before the data"
        return None, "broken WAV: no fmt and data chunks"


def header_problem(h: WavHeader, max_duration: float) -> str | None:
    """Why a header is refused before reading samples, or None."""
    if not MIN_RATE <= h.sample_rate <= MAX_RATE:
        return (
            f"sample rate {h.sample_rate} Hz is outside {MIN_RATE // 1000}-{MAX_RATE // 1000} kHz"
        )
    if h.channels > MAX_CHANNELS:
        return f"{h.channels} channels; at most {MAX_CHANNELS} are accepted"
    if h.frames_claimed > h.frames_in_file + 1:
        return (
            f"the header claims {h.frames_claimed} frames but the file holds "
            f"{h.frames_in_file} (a truncated or forged header)"
        )
    seconds = h.frames_claimed / h.sample_rate
    if seconds > max_duration:
        return f"{seconds:.1f} s of audio is over the {max_duration:g} s limit for this clip"
    return None


class _Stats:
    """Running peak, energy and range over blocks, so no whole-file array is ever held."""

    def __init__(self, channels: int) -> None:
        self.n = 0
        self.bad = 0
        self.peak = 0.0
        self.sumsq = 0.0
        self.lo = np.full(channels, np.inf)
        self.hi = np.full(channels, -np.inf)
        self.full_scale = 0

    def add(self, block: np.ndarray, full_scale: float | None) -> None:
        finite = np.isfinite(block)
        if not finite.all():
            self.bad += int(block.size - finite.sum())
            block = np.where(finite, block, 0.0)
        self.n += block.size
        mag = np.abs(block)
        self.peak = max(self.peak, float(mag.max(initial=0.0)))
        self.sumsq += float(np.square(block).sum())
        self.lo = np.minimum(self.lo, block.min(axis=0, initial=np.inf))
        self.hi = np.maximum(self.hi, block.max(axis=0, initial=-np.inf))
        if full_scale is not None:
            self.full_scale += int((mag >= full_scale).sum())


def _integer_full_scale(subtype: str) -> float | None:
    """The magnitude of an integer format's largest sample as a float in [-1, 1)."""
    bits = {"PCM_U8": 8, "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}.get(subtype)
    return None if bits is None else (2 ** (bits - 1) - 1) / 2 ** (bits - 1)


def _clipping(stats: _Stats, subtype: str) -> str | None:
    if subtype in ("FLOAT", "DOUBLE") and stats.peak > 1.0:
        return f"float samples reach {stats.peak:.4g}, beyond full scale (1.0)"
    share = stats.full_scale / stats.n if stats.n else 0.0
    if share > CLIP_SHARE:
        return f"{share:.2%} of samples sit at full scale"
    return None


def inspect_wav(path: Path, max_duration: float = MIN_DURATION_CAP_S) -> AudioVerdict:
    """Describe `path` and say what, if anything, makes it unusable; memory stays bounded."""
    try:
        header, why = read_header(path)
    except (OSError, struct.error) as exc:
        return AudioVerdict(None, f"unreadable audio: {exc}")
    if header is None:
        return AudioVerdict(None, why)
    refused = header_problem(header, max_duration)
    if refused:
        return AudioVerdict(None, refused)
    try:
        with sf.SoundFile(str(path)) as snd:
            subtype, rate, channels, frames = snd.subtype, snd.samplerate, snd.channels, snd.frames
            stats = _Stats(channels)
            full_scale = _integer_full_scale(subtype)
            for block in snd.blocks(BLOCK_FRAMES, dtype="float64", always_2d=True):
                stats.add(block, full_scale)
    except (RuntimeError, sf.LibsndfileError, ValueError) as exc:
        return AudioVerdict(None, f"unreadable audio: {exc}")
    peak = stats.peak if stats.n else None
    rms = float(np.sqrt(stats.sumsq / stats.n)) if stats.n else None
    spread = float((stats.hi - stats.lo).max()) if stats.n else None
    constant = spread is not None and spread < 2 * SILENCE_PEAK
    info = AudioInfo(
        sample_rate=int(rate),
        channels=int(channels),
        frames=int(frames),
        duration_s=frames / rate,
        peak=peak,
        rms=rms,
        has_nonfinite=stats.bad > 0,
        silent=peak is None or peak < SILENCE_PEAK or constant,
        subtype=subtype,
        sha256=sha256_file(path),
        peak_to_peak=spread,
        clipping=_clipping(stats, subtype),
    )
    if info.frames == 0:
        return AudioVerdict(info, "empty audio: no samples")
    if stats.bad:
        return AudioVerdict(info, f"audio has {stats.bad} NaN or infinite sample(s)")
    if peak is None or peak < SILENCE_PEAK:
        return AudioVerdict(info, f"audio is silent (peak {peak or 0.0:.2e} < {SILENCE_PEAK:g})")
    if constant:
        return AudioVerdict(
            info,
            f"audio is silent: a constant (DC) signal at {peak:.3g} that varies by only "
            f"{spread:.2e}",
        )
    return AudioVerdict(info, None)
