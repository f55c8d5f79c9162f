"""Before/after decoding settings on a spec's real prompts, side by side in one process tree.

`local_llm.py --study SPEC` calls `compare_settings`: two LocalServers of the same model are
started, one with `before` settings and one with `after`, and the spec's prompts (every planned
item and sample, or the first `limit`) are sent to both in alternating waves of `slots`
requests, so that the machine's load drifts over both alike. Each wave keeps every slot busy,
as a run does. Reported per side: wall seconds per trial, aggregate generated tokens/s, the
share of the memory-bandwidth roofline of one sequence, how many answers held a code block,
and the server's draft acceptance where speculative decoding ran.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openai import OpenAI

from audioprobe.extract import extract_code
from audioprobe.llm.local import LocalServer
from audioprobe.plan import select_items
from audioprobe.prompts import render_prompt
from audioprobe.spec import ModelSpec, load_spec


@dataclass
class Side:
    """One decoding configuration and what it measured."""

    name: str
    settings: dict[str, Any]
    seconds: float = 0.0
    trials: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    with_code: int = 0
    draft_n: int = 0
    draft_accepted: int = 0
    waves: list[float] = field(default_factory=list)

    def row(self, roofline_tps: float) -> dict[str, Any]:
        tps = self.completion_tokens / self.seconds if self.seconds else 0.0
        return {
            "settings": self.settings,
            "trials": self.trials,
            "seconds": self.seconds,
            "s_per_trial": self.seconds / self.trials if self.trials else None,
            "aggregate_tps": tps,
            "roofline_share": tps / roofline_tps if roofline_tps else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "answers_with_code": self.with_code,
            "draft_acceptance": self.draft_accepted / self.draft_n if self.draft_n else None,
        }


def study_messages(spec_path: str, limit: int | None) -> tuple[ModelSpec, list[dict[str, Any]]]:
    """The spec's first local model and its requests (messages + seed), in plan order."""
    spec, _ = load_spec(spec_path)
    local = [m for m in spec.models if m.kind == "local"]
    if not local:
        raise SystemExit(f"{spec_path}: the spec names no kind = 'local' model to measure")
    requests = []
    for _, (tier, items) in select_items(spec, None, None).items():
        for item in items:
            messages = render_prompt(tier, item, spec.system_prompt).messages()
            for sample in range(spec.samples):
                requests.append({"messages": messages, "seed": spec.seed + sample})
    return local[0], requests[:limit] if limit else requests


def _server(model: ModelSpec, settings: dict[str, Any], slots: int) -> LocalServer:
    return LocalServer(model.model, ctx_size=model.ctx_size, parallel=slots, **settings)


def _wave(server: LocalServer, model: ModelSpec, wave: list[dict[str, Any]], side: Side) -> None:
    client = OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=1800)

    def one(request: dict[str, Any]) -> Any:
        return client.chat.completions.create(
            model=server.model_id,
            messages=request["messages"],
            max_tokens=model.max_tokens,
            temperature=model.temperature,
            top_p=model.top_p,
            seed=request["seed"],
        )

    started = time.monotonic()
    with ThreadPoolExecutor(len(wave)) as pool:
        responses = list(pool.map(one, wave))
    wall = time.monotonic() - started
    side.seconds += wall
    side.waves.append(wall)
    side.trials += len(wave)
    for response in responses:
        side.completion_tokens += response.usage.completion_tokens
        side.prompt_tokens += response.usage.prompt_tokens
        side.with_code += bool(extract_code(response.choices[0].message.content or "").code)
        timings = (response.model_extra or {}).get("timings") or {}
        side.draft_n += int(timings.get("draft_n") or 0)
        side.draft_accepted += int(timings.get("draft_n_accepted") or 0)


def compare_settings(
    spec_path: str,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    slots: int,
    limit: int | None,
    roofline_tps: float,
    log: Any = print,
) -> dict[str, Any]:
    """Run the spec's prompts through `before` and `after` servers alternately; the ratio of
    seconds per trial (before / after: above 1 means `after` is faster)."""
    model, requests = study_messages(spec_path, limit)
    sides = [Side("before", before), Side("after", after)]
    with ExitStack() as stack:
        servers = [stack.enter_context(_server(model, s.settings, slots)) for s in sides]
        for server in servers:  # warm-up: load the weights into the page cache, off the clock
            OpenAI(base_url=server.base_url, api_key="none").chat.completions.create(
                model=server.model_id, messages=[{"role": "user", "content": "OK"}], max_tokens=2
            )
        for start in range(0, len(requests), slots):
            wave = requests[start : start + slots]
            order = [0, 1] if (start // slots) % 2 == 0 else [1, 0]
            for index in order:
                _wave(servers[index], model, wave, sides[index])
            log(f"  {min(start + slots, len(requests))}/{len(requests)} prompts on both sides")
    rows = {s.name: s.row(roofline_tps) for s in sides}
    ratio = rows["before"]["s_per_trial"] / rows["after"]["s_per_trial"]
    # the same prompts may be answered at other lengths on the two sides (several slots decode
    # together, which is not bit-identical): the ratio of tokens/s says what a setting does to
    # the decoding itself, apart from how long the answers happened to be
    speed = rows["after"]["aggregate_tps"] / rows["before"]["aggregate_tps"]
    return {
        "spec": str(Path(spec_path)),
        "model": model.model,
        "slots": slots,
        "prompts": len(requests),
        "roofline_tps": roofline_tps,
        "before": rows["before"],
        "after": rows["after"],
        "s_per_trial_before": rows["before"]["s_per_trial"],
        "s_per_trial_after": rows["after"]["s_per_trial"],
        "ratio": ratio,
        "tokens_per_s_ratio": speed,
    }
