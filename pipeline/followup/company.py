"""The company file, ``company.toml``: what the proposal and the invitation take from the company.

It lives next to ``memo.toml`` (the inbox's, else the user's config folder) or is given with
``--company-file``. Everything in it is optional; what is missing shows as a fill-in marker.

Example ``company.toml``::

    name = "Bluecrest Water Systems"
    factory = "4410 Leonard St NW, Grand Rapids, MI 49504"   # where the visit takes place
    products = ["Three-stage under-sink filter", "Quick-change cartridges (6 months)"]

    [[markets]]                 # part 5 of the proposal: how our products do elsewhere
    territory = "Minnesota and Wisconsin"
    distributor = "North Star Plumbing Supply"
    since = "2019"
    results = "180 contractor accounts; cartridge reorders 70 % a year"

    [[gifts]]                   # the product gift sent with the invitation
    item = "Three-stage filter, display unit"
    quantity = "2"
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import user_config_file
from ..errors import ConfigError
from ..script import to_script
from ..types import Script

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

COMPANY_NAME = "company.toml"
_KEYS = {"name", "factory", "products", "markets", "gifts"}
_MARKET_KEYS = ("territory", "distributor", "since", "results")
_GIFT_KEYS = ("item", "quantity")


@dataclass(frozen=True)
class Market:
    """One other market where our products are sold (proposal part 5)."""

    territory: str
    distributor: str
    since: str
    results: str


@dataclass(frozen=True)
class Gift:
    """One item of the product gift sent with the invitation."""

    item: str
    quantity: str = ""


@dataclass(frozen=True)
class CompanyFile:
    """The company file's content; ``path`` is ``None`` when there is none."""

    path: Path | None = None
    name: str = ""
    factory: str = ""
    products: tuple[str, ...] = ()
    markets: tuple[Market, ...] = ()
    gifts: tuple[Gift, ...] = ()


def find_company_file(inbox: Path | None = None) -> Path | None:
    """``company.toml`` beside the inbox's ``memo.toml``, else beside the user's; ``None`` if neither."""
    folders = [inbox] if inbox is not None else []
    folders.append(user_config_file().parent)
    for folder in folders:
        path = Path(folder) / COMPANY_NAME
        if path.exists():
            return path
    return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _table(value: Any, keys: tuple[str, ...], where: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where} must be written as [[…]] tables")
    rows = []
    for n, row in enumerate(value, 1):
        unknown = sorted(set(row) - set(keys))
        if unknown:
            raise ConfigError(f"{where} #{n}: unknown key {unknown[0]!r}; expected: {', '.join(keys)}")
        rows.append({k: str(row.get(k, "")) for k in keys})
    return rows


def load_company(path: Path | None) -> CompanyFile:
    """Read the company file; ``CompanyFile()`` (all empty) when ``path`` is ``None``.

    Raises:
        ConfigError: unreadable TOML, an unknown key, or a value of the wrong type.
    """
    if path is None:
        return CompanyFile()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such company file; check the path or leave --company-file out"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot be read ({e})") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from e
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; expected one of: {', '.join(sorted(_KEYS))}")
    for key in ("name", "factory"):
        if not isinstance(data.get(key, ""), str):
            raise ConfigError(f"{path}: {key} must be a string")
    return CompanyFile(
        path=path,
        name=data.get("name", ""),
        factory=data.get("factory", ""),
        products=_strings(data.get("products", []), f"{path}: products"),
        markets=tuple(Market(**r) for r in _table(data.get("markets", []), _MARKET_KEYS, f"{path}: markets")),
        gifts=tuple(Gift(**r) for r in _table(data.get("gifts", []), _GIFT_KEYS, f"{path}: gifts")),
    )


def in_script(company: CompanyFile, script: Script | None) -> CompanyFile:
    """The company file with its Chinese in Simplified for a zh-Hans meeting (a document keeps one script).

    Only that way: converting to Traditional would also rewrite characters that are right in
    Taiwan usage as written (台中 would become 臺中), so a zh-Hant document keeps the file's text.
    """
    if script != "hans":
        return company

    def conv(text: str) -> str:
        return to_script(text, script)

    return dataclasses.replace(
        company,
        name=conv(company.name),
        factory=conv(company.factory),
        products=tuple(map(conv, company.products)),
        markets=tuple(Market(*(conv(v) for v in dataclasses.astuple(m))) for m in company.markets),
        gifts=tuple(Gift(conv(g.item), conv(g.quantity)) for g in company.gifts),
    )
