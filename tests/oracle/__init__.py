"""Independent SPEC §4–§6 oracle (see spec_oracle's docstring for the readings it chose)."""

from tests.oracle.spec_oracle import (
    AGENT_PARTS,
    DEFAULT_SETTINGS,
    SHOP_PARTS,
    ShopResult,
    compute,
    compute_shop,
)

__all__ = ["AGENT_PARTS", "DEFAULT_SETTINGS", "SHOP_PARTS", "ShopResult", "compute", "compute_shop"]
