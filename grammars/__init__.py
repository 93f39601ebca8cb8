"""The Lark grammar of the policy language, shipped as package data."""

from importlib.resources import files


def policy_grammar() -> str:
    """The text of `policy.lark` (read from the installed package, not the source tree)."""
    return files(__name__).joinpath("policy.lark").read_text(encoding="utf-8")


PREBUILT = "policy.lalr"  # the parser's tables, built ahead (see callqa.dsl.grammar)


def prebuilt_parser() -> bytes:
    """The prebuilt parser shipped beside the grammar, or b"" when there is none."""
    try:
        return files(__name__).joinpath(PREBUILT).read_bytes()
    except FileNotFoundError:
        return b""
