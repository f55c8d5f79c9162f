"""Prompt rendering: plain-text templates with named fields, filled from a tier item.

Templates are data so a researcher can change the wording without touching code; a template that
names a field the item cannot fill is an error that names the field, not a silent blank. The
contract (what the answer must contain) and the system prompt belong to the answer's language:
Python's are prompts/contract.txt and prompts/system.txt, another language's lie in
prompts/<language>/; the tier's own template (the task) is the same for every language.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from audioprobe.errors import ConfigError
from audioprobe.languages import DEFAULT_LANGUAGE
from audioprobe.paths import data_dir
from audioprobe.sandbox.rootfs import prompt_libraries
from audioprobe.tiers import Item, Tier

CONTRACT_TEMPLATE = "contract.txt"
SYSTEM_TEMPLATE = "system.txt"


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


def language_template(language: str, name: str) -> str:
    """Where `language`'s own version of template `name` lies under prompts/."""
    return name if language == DEFAULT_LANGUAGE else f"{language}/{name}"


def render_prompt(
    tier: Tier,
    item: Item,
    system_template: str = SYSTEM_TEMPLATE,
    language: str = DEFAULT_LANGUAGE,
) -> RenderedPrompt:
    """The prompt for one item in one language; a spec's own system prompt (other than the
    default) is used whatever the language."""
    if system_template == SYSTEM_TEMPLATE:
        system_template = language_template(language, SYSTEM_TEMPLATE)
    contract = language_template(language, CONTRACT_TEMPLATE)
    fields = item_fields(tier, item)
    fields["contract"] = fill(read_template(contract), fields, contract)
    user = fill(read_template(tier.prompt), fields, tier.prompt)
    system = fill(read_template(system_template), fields, system_template)
    return RenderedPrompt(system=system, user=user)
