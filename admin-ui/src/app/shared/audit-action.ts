import { Pipe, PipeTransform, inject } from '@angular/core';

import { I18nService } from '../core/i18n/i18n.service';

/** Every audit action the services record (admin module), for labels and the filter's list. */
export const AUDIT_ACTIONS = [
  'admin_auth.login', 'admin_auth.logout', 'admin_auth.refresh_reuse',
  'admin_user.created', 'admin_user.updated', 'admin_user.deleted', 'admin_user.locked', 'admin_user.unlocked',
  'admin_user.password_changed', 'admin_user.password_reset',
  'auth.token_failed',
  'service_account.created', 'service_account.updated', 'service_account.deleted', 'service_account.secret_rotated',
  'service_account.suspended', 'service_account.activated', 'service_account.repaired',
  'storage_element.registered', 'storage_element.updated', 'storage_element.deleted', 'storage_element.synced',
  'storage_element.mode_change_requested', 'storage_element.mode_changed', 'storage_element.mode_change_failed',
  'storage_element.status_changed',
  'file.finalize_requested', 'file.finalized', 'file.finalize_failed', 'file.source_deleted', 'file.expired_deleted',
  'file.uploaded', 'file.metadata_read', 'file.downloaded',
  'file.updated', 'file.deleted', 'file.change_refused', 'file.copy_rewritten', 'file.copy_repaired', 'copy_policy.updated',
  'jwt_key.rotated', 'audit.pruned',
  'legal_hold.created', 'legal_hold.released', 'file.hold_placed', 'file.hold_released', 'file.retain_until_set',
  'retention_schedule.created',
] as const;

/** A readable name for an audit action code; an unknown code is shown as words, not as a code. */
export function actionLabel(i18n: I18nService, code: string): string {
  const key = 'audit.act.' + code;
  const text = i18n.t(key);
  if (text !== key) return text;
  const words = code.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

@Pipe({ name: 'action', pure: false })
export class ActionPipe implements PipeTransform {
  private readonly i18n = inject(I18nService);
  transform(code: string): string {
    return actionLabel(this.i18n, code);
  }
}
