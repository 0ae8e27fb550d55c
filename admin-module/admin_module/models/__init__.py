"""ORM models, one module per aggregate, all on one declarative ``Base``.

Import every model module here so ``Base.metadata`` is complete for Alembic and tests.
"""

from admin_module.models.admin_user import AdminUser, PasswordHistory, RefreshToken
from admin_module.models.audit import AuditChainHead, AuditEvent
from admin_module.models.base import Base
from admin_module.models.dashboard import AuditActivityHour, AuditActivityRollup, CapacitySample
from admin_module.models.disposition import DispositionBatch, DispositionItem, FileRetention
from admin_module.models.legal_hold import LegalHold, LegalHoldFile, RetentionSchedule
from admin_module.models.saga import Saga
from admin_module.models.saved_search import SavedSearch
from admin_module.models.service_account import ServiceAccount, ServiceAccountSecret
from admin_module.models.signing_key import SigningKey
from admin_module.models.storage_element import CopyPolicyRow, DiscoveryVersion, StorageElement

__all__ = [
    "AdminUser",
    "AuditActivityHour",
    "AuditActivityRollup",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "CapacitySample",
    "CopyPolicyRow",
    "DiscoveryVersion",
    "DispositionBatch",
    "DispositionItem",
    "FileRetention",
    "LegalHold",
    "LegalHoldFile",
    "PasswordHistory",
    "RefreshToken",
    "RetentionSchedule",
    "Saga",
    "SavedSearch",
    "ServiceAccount",
    "ServiceAccountSecret",
    "SigningKey",
    "StorageElement",
]
