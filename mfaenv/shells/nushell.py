"""nushell: a JSON record for `from json | load-env`."""

from __future__ import annotations

import json

from mfaenv.plan import EnvChange
from mfaenv.shells.base import Shell, check_name, check_value


class Nushell(Shell):
    name = "nu"
    eval_usage = "{cmd} | from json | load-env"

    def render(self, change: EnvChange) -> str:
        # Data, not code, so nothing needs quoting. A variable to remove maps
        # to null: nu keeps it as $nothing, and passes it to no child process.
        record: dict[str, str | None] = {check_name(k): None for k in change.unset}
        record.update((check_name(k), check_value(k, v, self)) for k, v in change.set)
        return json.dumps(record, ensure_ascii=False, indent=0) + "\n"
