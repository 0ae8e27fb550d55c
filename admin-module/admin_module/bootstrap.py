"""Initial accounts at first start: the super_admin user and the ``admin-service`` account.

Credentials come from the environment. Outside production a missing one is generated, printed
once to stdout (the only place a secret is ever printed) and written to the bootstrap file
(mode 0600) when one is configured. The system account's secret follows the environment: if
ARTSTORE_CLIENT_SECRET changes, the stored hash is replaced at the next start.
"""

from __future__ import annotations

import secrets
import sys

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.admin_users import repository as users_repo
from admin_module.admin_users.schemas import AdminUserCreate
from admin_module.admin_users.service import AdminUsers
from admin_module.audit import service as audit
from admin_module.config import Settings
from admin_module.db import advisory_xact_lock
from admin_module.runtime_secrets import RuntimeSecrets, write_env_values
from admin_module.security.hashing import SecretHasher
from admin_module.service_accounts import repository as accounts_repo
from admin_module.service_accounts.schemas import ServiceAccountCreate
from admin_module.service_accounts.service import ServiceAccounts

log = structlog.get_logger(__name__)
BOOTSTRAP_LOCK_ID = 0x4152_5453_0003
ACTOR = "system:bootstrap"


def generate_password() -> str:
    return f"{secrets.token_urlsafe(18)}-Aa1"


def _announce(generated: dict[str, str]) -> None:
    lines = ["", "=" * 72, "ARTSTORE INITIAL CREDENTIALS — shown once, store them now", "=" * 72]
    lines += [f"{key}={value}" for key, value in generated.items()]
    lines += ["=" * 72, ""]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


async def _ensure_admin_user(session: AsyncSession, settings: Settings, hasher: SecretHasher,
                             rs: RuntimeSecrets, generated: dict[str, str]) -> None:
    username = settings.ARTSTORE_ADMIN_USER.strip().lower()
    if await users_repo.get_by_username(session, username) is not None:
        return
    password = rs.admin_password
    if not password:
        password = generate_password()
        generated["ARTSTORE_ADMIN_USER"] = username
        generated["ARTSTORE_ADMIN_PASSWORD"] = password
    service = AdminUsers(session, settings, hasher)
    # Outside production a weak bootstrap password is accepted (local convenience).
    await service.create(AdminUserCreate(username=username, password=password,
                                         role="super_admin", full_name="Initial super admin"),
                         ACTOR, is_system=True, enforce_policy=settings.is_production)
    log.info("bootstrap.admin_user_created", username=username)


async def _ensure_system_account(session: AsyncSession, settings: Settings,
                                 hasher: SecretHasher, rs: RuntimeSecrets,
                                 generated: dict[str, str]) -> None:
    client_id = settings.ARTSTORE_CLIENT_ID
    service = ServiceAccounts(session, settings, hasher)
    account = await accounts_repo.get_by_client_id(session, client_id)
    if account is None:
        secret = rs.client_secret
        if not secret:
            secret = secrets.token_urlsafe(48)
            generated["ARTSTORE_CLIENT_ID"] = client_id
            generated["ARTSTORE_CLIENT_SECRET"] = secret
        await service.create(ServiceAccountCreate(name="ArtStore internal services", role="ADMIN",
                                                  client_id=client_id,
                                                  description="System account (bootstrap)"),
                             ACTOR, secret=secret, is_system=True)
        log.info("bootstrap.system_account_created", client_id=client_id)
        return
    repaired = {}
    if account.status != "active" or account.role != "ADMIN" or not account.is_system:
        repaired = {"status": account.status, "role": account.role}
        account.status, account.role, account.is_system = "active", "ADMIN", True
        account.deleted_at = None
    if rs.client_secret and not await hasher.verify(account.secret_hash, rs.client_secret):
        await service.rotate_secret(account.id, ACTOR, rs.client_secret, reason="environment",
                                    check_history=False)
    if repaired:
        await audit.record(session, action="service_account.repaired", actor=ACTOR,
                           resource_type="service_account", resource_id=account.id,
                           details={"before": repaired})


async def bootstrap_accounts(sessionmaker, settings: Settings, hasher: SecretHasher,
                             rs: RuntimeSecrets) -> dict[str, str]:
    generated: dict[str, str] = {}
    async with sessionmaker() as session, session.begin():
        await advisory_xact_lock(session, BOOTSTRAP_LOCK_ID)
        await _ensure_admin_user(session, settings, hasher, rs, generated)
        await _ensure_system_account(session, settings, hasher, rs, generated)
    if generated:
        if rs.bootstrap_file is not None:
            write_env_values(rs.bootstrap_file, generated)
            log.warning("bootstrap.credentials_written", file=str(rs.bootstrap_file),
                        names=sorted(generated))
        _announce(generated)
    return generated
