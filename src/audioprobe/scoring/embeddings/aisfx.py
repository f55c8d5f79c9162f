"""aiSFX sound-effects embedding (X-Sequential-CE, ISMIR 2022), weights shipped by PyPI `aisfx`.

The package's own network, checkpoint and blocking code are used; its librosa spectrogram reads a
file, so the same computation (mel 96 bands, 2048/1024 at 44.1 kHz, peak-normalised, log10(1e4·S+1))
is applied to the array here, transposed to the (frames, bands) layout of its Essentia path that
the network was trained on. Each 100-frame block (≈2.3 s, hop ≈1.2 s) gives one 512-d vector.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.weights import Location

AISFX_SR = 44_100


class AisfxEmbedding(Embedding):
    name = "aisfx"
    weights = "aisfx"
    sample_rate = AISFX_SR
    dim = 512
    pooling = (
        "mean over 100-frame blocks (≈2.3 s, 50% hop); a shorter clip is one zero-padded block"
    )
    min_samples = 2048
    batch_size = 16

    def _import_check(self) -> str | None:
        try:
            import aisfx.inference  # noqa: F401
            import librosa  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            return f"{exc.name} is missing: pip install --no-deps aisfx; pip install librosa torch"
        return None

    def _load(self, found: Location) -> Any:
        import torch
        from aisfx.inference import load_bestModel

        # The checkpoint pickles a (state_dict, dataset dict) tuple: not loadable weights-only.
        weights, ds_dict = torch.load(found.main_path, map_location="cpu", weights_only=False)
        return load_bestModel(weights, ds_dict, self.device)

    @staticmethod
    def spectrogram(clip: np.ndarray) -> np.ndarray:
        """(frames, 96) normalised log-mel, as aisfx computes it (see module docstring)."""
        import librosa
        from aisfx import inference as inf
        from aisfx.preprocessing import spectrogram_normalize

        peak = float(np.max(np.abs(clip))) or 1.0
        spec = librosa.feature.melspectrogram(
            y=clip / peak,
            sr=inf.SAMPLE_RATE,
            n_mels=inf.MEL_BINS,
            norm=1.0,
            fmin=inf.F_MIN,
            fmax=inf.F_MAX,
            htk=True,
            power=2.0,
            hop_length=inf.SPEC_HOP_LENGTH,
            win_length=inf.SPEC_BLOCK_LENGTH,
        )
        return spectrogram_normalize(np.log10(spec * 10000.0 + 1).T, spec_norm="original")

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch
        from aisfx import inference as inf
        from aisfx.preprocessing import blocking

        out = []
        for clip in clips:
            spec = self.spectrogram(clip)
            hop = inf.EMB_BLOCK_LENGTH // 2
            blocks = blocking(spec, inf.EMB_BLOCK_LENGTH, hop, drop_partial_block=True)
            with torch.no_grad():
                emb = model.get_embedding(
                    torch.as_tensor(blocks, dtype=torch.float32).to(self.device)
                )
            out.append(emb.cpu().numpy())
        return out
