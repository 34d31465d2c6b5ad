"""QA rule configuration (SPEC §6): per rule enabled / penalty / notify / params."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

RULES: tuple[str, ...] = (
    "closing_by_agent",
    "min_reply_length",
    "min_emojis",
    "greeting",
    "slow_reply",
    "unanswered",
    "forbidden_words",
)

# SPEC §6 defaults. slow_reply has no params: its threshold is the shop setting
# slow_reply_seconds, so the metric slow_responses and the rule never disagree.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "closing_by_agent": {"penalty": 5, "params": {}},
    "min_reply_length": {"penalty": 2, "params": {"min_chars": 5}},
    "min_emojis": {"penalty": 3, "params": {"min_count": 3}},
    "greeting": {"penalty": 3, "params": {"phrases": ["您好", "你好", "亲", "欢迎", "在的"]}},
    "slow_reply": {"penalty": 2, "params": {}},
    "unanswered": {"penalty": 5, "params": {}},
    "forbidden_words": {
        "penalty": 10,
        "notify": True,
        "params": {"words": ["滚", "傻", "白痴", "不知道", "爱买不买", "自己看"]},
    },
}

# Expected type of every parameter: a non-negative "int" or a list of "strings".
_PARAM_TYPES: dict[str, dict[str, str]] = {
    "min_reply_length": {"min_chars": "int"},
    "min_emojis": {"min_count": "int"},
    "greeting": {"phrases": "strings"},
    "forbidden_words": {"words": "strings"},
}


@dataclass(frozen=True, slots=True)
class RuleConfig:
    enabled: bool = True
    penalty: int = 0
    notify: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "penalty": self.penalty,
            "notify": self.notify,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
        }


def _check_param(rule: str, name: str, value: Any) -> Any:
    kind = _PARAM_TYPES.get(rule, {}).get(name)
    if kind is None:
        raise ValueError(f"QA rule {rule} has no parameter {name!r}")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"QA rule {rule}: {name} must be a non-negative integer")
        return value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"QA rule {rule}: {name} must be a list of strings")
    # Tuples keep the frozen config immutable; empty strings would match everything.
    return tuple(v for v in value if v)


def _merge_rule(rule: str, base: RuleConfig, override: Mapping[str, Any]) -> RuleConfig:
    unknown = sorted(set(override) - {"enabled", "penalty", "notify", "params"})
    if unknown:
        raise ValueError(f"QA rule {rule}: unknown keys {unknown}")
    for flag in ("enabled", "notify"):
        if flag in override and not isinstance(override[flag], bool):
            raise ValueError(f"QA rule {rule}: {flag} must be true or false")
    penalty = override.get("penalty", base.penalty)
    if isinstance(penalty, bool) or not isinstance(penalty, int) or penalty < 0:
        raise ValueError(f"QA rule {rule}: penalty must be a non-negative integer")
    raw_params = override.get("params", {})
    if not isinstance(raw_params, Mapping):
        raise ValueError(f"QA rule {rule}: params must be an object")
    params = dict(base.params)
    params.update({k: _check_param(rule, k, v) for k, v in raw_params.items()})
    return replace(
        base,
        enabled=override.get("enabled", base.enabled),
        penalty=penalty,
        notify=override.get("notify", base.notify),
        params=params,
    )


def _default(rule: str) -> RuleConfig:
    spec = _DEFAULTS[rule]
    params = {k: _check_param(rule, k, v) for k, v in spec["params"].items()}
    return RuleConfig(penalty=spec["penalty"], notify=spec.get("notify", False), params=params)


@dataclass(frozen=True, slots=True)
class QaRules:
    """The seven rules of SPEC §6; `QaRules()` is the SPEC default configuration."""

    rules: Mapping[str, RuleConfig] = field(default_factory=lambda: {r: _default(r) for r in RULES})

    @classmethod
    def from_dict(cls, overrides: Mapping[str, Any] | None = None) -> QaRules:
        """Defaults overlaid with `{rule: {enabled?, penalty?, notify?, params?}}`."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(RULES))
        if unknown:
            raise ValueError(f"unknown QA rules {unknown}; known: {list(RULES)}")
        rules: dict[str, RuleConfig] = {}
        for rule in RULES:
            override = overrides.get(rule, {})
            if not isinstance(override, Mapping):
                raise ValueError(f"QA rule {rule} must be an object")
            rules[rule] = _merge_rule(rule, _default(rule), override)
        return cls(rules=rules)

    def to_dict(self) -> dict[str, Any]:
        """The full configuration (defaults included), JSON-able; from_dict round-trips it."""
        return {rule: self.rules[rule].to_dict() for rule in RULES}

    def __getitem__(self, rule: str) -> RuleConfig:
        return self.rules[rule]

    # Typed parameter accessors, so the QA code never digs in untyped dicts.
    @property
    def min_chars(self) -> int:
        return int(self.rules["min_reply_length"].params["min_chars"])

    @property
    def min_emoji_count(self) -> int:
        return int(self.rules["min_emojis"].params["min_count"])

    @property
    def greeting_phrases(self) -> tuple[str, ...]:
        return tuple(self.rules["greeting"].params["phrases"])

    @property
    def forbidden_words(self) -> tuple[str, ...]:
        return tuple(self.rules["forbidden_words"].params["words"])
