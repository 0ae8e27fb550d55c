"""The files endpoints' response models (see ``storage_element/schemas.py`` on how they are
used: documented and tested, the stored sidecar is sent as it is). Defined in
``artstore_common.contracts``: the other services read them through ``se_client``."""

from artstore_common.contracts import Disposition, FilePage, FileRead

__all__ = ["Disposition", "FilePage", "FileRead"]
