"""The Lark grammar of the policy language, shipped as package data."""

from importlib.resources import files


def policy_grammar() -> str:
    """The text of `policy.lark` (read from the installed package, not the source tree)."""
    return files(__name__).joinpath("policy.lark").read_text(encoding="utf-8")
