"""Stand-alone emulator of the client portal's sync API (standard library only).

Used for demos, tests and benchmarks over real HTTP on loopback; start it with
`EmulatorServer(...).start()` or the `portal_emulator` management command.
"""

from portalsync.emulator.faults import FaultConfig, RequestRecord
from portalsync.emulator.server import EmulatorServer
from portalsync.emulator.store import Store

__all__ = ["EmulatorServer", "FaultConfig", "RequestRecord", "Store"]
