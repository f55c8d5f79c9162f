"""Prompt rendering: plain-text templates with named fields, filled from a tier item.

Templates are data so a researcher can change the wording without touching code; a template that
names a field the item cannot fill is an error that names the field, not a silent blank.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from audioprobe.errors import ConfigError
from audioprobe.paths import data_dir
from audioprobe.sandbox.rootfs import prompt_libraries
from audioprobe.tiers import Item, Tier

CONTRACT_TEMPLATE = "contract.txt"


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]

    def as_text(self) -> str:
        """The verbatim prompt as stored beside each trial."""
        return f"[system]\n{self.system}\n\n[user]\n{self.user}\n"


def read_template(name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else data_dir("prompts") / name
    if not path.is_file():
        raise ConfigError(f"prompt template {path} does not exist")
    return path.read_text()


def fill(template: str, fields: dict[str, object], source: str) -> str:
    needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = sorted(needed - fields.keys())
    if missing:
        raise ConfigError(
            f"prompt template {source} uses field(s) {', '.join(missing)} that this item does not"
            f" provide; available: {', '.join(sorted(fields))}"
        )
    return template.format(**fields).strip()


def item_fields(tier: Tier, item: Item) -> dict[str, object]:
    fields: dict[str, object] = {
        "request": item.request,
        "caption": item.caption,
        "duration_s": f"{item.duration_s:g}",
        "sample_rate": tier.sample_rate,
        "tier": tier.name,
        "item_id": item.id,
        # what the sandbox runtime lets a script import (sandbox/runtime.toml), so the prompt can
        # never promise a library the sandbox lacks
        "libraries": ", ".join(prompt_libraries()),
    }
    fields.update(item.targets())
    return fields


def render_prompt(tier: Tier, item: Item, system_template: str = "system.txt") -> RenderedPrompt:
    fields = item_fields(tier, item)
    fields["contract"] = fill(read_template(CONTRACT_TEMPLATE), fields, CONTRACT_TEMPLATE)
    user = fill(read_template(tier.prompt), fields, tier.prompt)
    system = fill(read_template(system_template), fields, system_template)
    return RenderedPrompt(system=system, user=user)
