import { Injectable, inject } from '@angular/core';
import { MatSnackBar } from '@angular/material/snack-bar';

import { I18nService } from '../core/i18n/i18n.service';

/** Short feedback after an action: a translated success line or the server's error message. */
@Injectable({ providedIn: 'root' })
export class Notifier {
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(I18nService);

  ok(key: string, params?: Record<string, string | number>): void {
    this.snack.open(this.i18n.t(key, params), this.i18n.t('common.close'), { duration: 4000 });
  }

  /** A success line with a button (e.g. "Open saga"); `act` runs when it is pressed. */
  okWithAction(key: string, params: Record<string, string | number>, action: string, act: () => void): void {
    this.snack
      .open(this.i18n.t(key, params), this.i18n.t(action), { duration: 10000 })
      .onAction()
      .subscribe(act);
  }

  error(err: unknown): void {
    this.snack.open(this.i18n.error(err), this.i18n.t('common.close'), { duration: 8000, panelClass: 'snack-error' });
  }
}
