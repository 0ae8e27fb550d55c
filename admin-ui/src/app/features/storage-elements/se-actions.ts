import { Injectable, inject } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { Observable, EMPTY, filter, switchMap, tap } from 'rxjs';

import { I18nService } from '../../core/i18n/i18n.service';
import { confirm } from '../../shared/confirm-dialog';
import { Notifier } from '../../shared/notify';
import { NEXT_MODE, StorageElement, StorageElementsApi } from './storage-elements.api';

/** The confirm-then-call flows shared by the list and the details page. */
@Injectable({ providedIn: 'root' })
export class SeActions {
  private readonly api = inject(StorageElementsApi);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(I18nService);
  private readonly notify = inject(Notifier);

  changeMode(se: StorageElement): Observable<unknown> {
    const target = NEXT_MODE[se.mode];
    if (!target) return EMPTY;
    const t = (k: string) => this.i18n.t(k);
    return confirm(this.dialog, {
      title: this.i18n.t('se.modeTitle', { name: se.name }),
      message: this.i18n.t('se.modeMessage', { from: t('mode.' + se.mode), to: t('mode.' + target) }),
      confirm: this.i18n.t('se.modeConfirm', { to: t('mode.' + target) }),
      danger: true,
      reasonLabel: t('se.reason'),
      reasonRequired: true,
    }).pipe(
      filter((r): r is string => typeof r === 'string' && r.length > 0),
      switchMap((reason) => this.api.changeMode(se.id, target, reason)),
      tap({
        next: () => this.notify.ok('se.modeStarted', { name: se.name }),
        error: (e) => this.notify.error(e),
      }),
    );
  }

  sync(se: StorageElement): Observable<StorageElement> {
    return this.api.sync(se.id).pipe(
      tap({ next: () => this.notify.ok('se.synced', { name: se.name }), error: (e) => this.notify.error(e) }),
    );
  }

  declareLost(se: StorageElement): Observable<StorageElement> {
    return confirm(this.dialog, {
      title: this.i18n.t('se.lostTitle', { name: se.name }),
      message: this.i18n.t('se.lostMessage'),
      confirm: this.i18n.t('se.lostConfirm'),
      danger: true,
      reasonLabel: this.i18n.t('se.reason'),
      reasonRequired: true,
    }).pipe(
      filter((r): r is string => typeof r === 'string' && r.length > 0),
      switchMap((reason) => this.api.declareLost(se.id, reason)),
      tap({ next: () => this.notify.ok('se.lostDone', { name: se.name }), error: (e) => this.notify.error(e) }),
    );
  }

  remove(se: StorageElement): Observable<unknown> {
    return confirm(this.dialog, {
      title: this.i18n.t('se.deleteTitle', { name: se.name }),
      message: this.i18n.t('se.deleteMessage'),
      confirm: this.i18n.t('common.delete'),
      danger: true,
    }).pipe(
      filter((ok) => ok === true),
      switchMap(() => this.api.remove(se.id)),
      tap({ next: () => this.notify.ok('se.deleted', { name: se.name }), error: (e) => this.notify.error(e) }),
    );
  }
}
