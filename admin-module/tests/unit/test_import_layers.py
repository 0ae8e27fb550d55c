"""Inside admin_module no package imports one that imports it back (issue 9): the lifespan
wires the domains together, saga types and the discovery publisher's collaborators are passed
in, so every arrow between packages points one way."""

from __future__ import annotations

from pathlib import Path

import admin_module
from artstore_common.testing import import_cycles

PACKAGE = Path(admin_module.__file__).parent


def test_admin_module_has_no_package_level_import_loops():
    assert import_cycles(PACKAGE) == []


def test_the_check_sees_a_loop_through_a_lazy_import(tmp_path):
    package = tmp_path / "shop"
    for name, body in {
        "__init__.py": "",
        "orders/__init__.py": "",
        "orders/service.py": "from shop.billing import invoice\n",
        "billing/__init__.py": "",
        "billing/invoice.py": "from ..ledger import post\n",
        "ledger/__init__.py": "",
        "ledger/post.py": "def run():\n    from shop.orders import service\n",
        "main.py": "import shop.orders.service\n",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(body)
    loops = import_cycles(package)
    assert [line.split(" (")[0] for line in loops] == [
        "billing -> ledger", "ledger -> orders", "orders -> billing"]
    assert "ledger.post:2" in loops[1]
