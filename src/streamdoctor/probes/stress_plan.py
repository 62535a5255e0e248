"""What a stress test will cost before it starts: its size, the tokens it may use, an approximate price.

The user pays for the stress test with their own key, so the size and an approximate cost are shown before
anything is sent. Prices change: the table below is the one place to update, and every number derived from it
is labelled approximate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import UserError
from ..i18n import _

# Output tokens asked for per size; the prompt asks for about 0.7 words per token of that.
SIZES: dict[str, int] = {"quick": 1024, "standard": 4096, "long": 16000}
DEFAULT_SIZE = "quick"

# Approximate list prices in USD per million tokens (input, output) per model family. Check
# https://www.anthropic.com/pricing before relying on them; unknown families use the Sonnet row.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "opus": (5.0, 25.0),
    "sonnet": (3.0, 15.0),
    "haiku": (1.0, 5.0),
}
FALLBACK_FAMILY = "sonnet"


def stress_prompt(words: int) -> str:
    """A prompt that makes the model think before it writes (so the first token comes late, as in real use)
    and then write steadily for about `words` words."""
    return (
        "Before you answer, think step by step about the question for a while. Then write a long, detailed "
        "explanation of how TCP keepalive, proxy idle timeouts and TLS inspection interact with long-lived "
        f"HTTP streams. Use plain prose, at least {words} words."
    )


@dataclass(frozen=True)
class StressPlan:
    size: str
    model: str
    family: str
    max_tokens: int
    input_tokens: int
    cost_usd: float  # upper bound: every allowed output token used
    prompt: str

    def line(self) -> str:
        # TRANSLATORS: {size} is quick, standard or long (a command-line value, left in English)
        return _("Stress test '{size}': up to {tokens} output tokens from {model}, about ${cost:.2f} at most "
                 "(approximate {family} list price)", size=self.size, tokens=self.max_tokens, model=self.model,
                 cost=self.cost_usd, family=self.family)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("prompt")
        d["cost_is_approximate"] = True
        return d


def family_of(model: str) -> str:
    name = model.lower()
    return next((f for f in PRICES_PER_MTOK if f in name), FALLBACK_FAMILY)


def plan_for(model: str, size: str = DEFAULT_SIZE, max_tokens: int | None = None) -> StressPlan:
    """The plan for `size` (quick / standard / long); `max_tokens` overrides the size's token count."""
    if size not in SIZES:
        raise UserError(_("unknown stress size '{size}'; choose one of: {sizes}", size=size, sizes=", ".join(SIZES)))
    tokens = max_tokens or SIZES[size]
    prompt = stress_prompt(max(100, int(tokens * 0.6)))
    input_tokens = len(prompt) // 4 + 20  # ~4 characters a token, plus the message framing
    family = family_of(model)
    price_in, price_out = PRICES_PER_MTOK[family]
    cost = (input_tokens * price_in + tokens * price_out) / 1_000_000
    return StressPlan(size, model, family, tokens, input_tokens, round(cost, 4), prompt)
