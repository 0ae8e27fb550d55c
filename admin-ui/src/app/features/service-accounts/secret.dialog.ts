import { Clipboard } from '@angular/cdk/clipboard';
import { Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';

import { TranslatePipe } from '../../core/i18n/pipes';

export interface SecretData {
  client_id: string;
  client_secret: string;
  name: string;
}

/** Shows a client secret once: the server keeps only its hash. */
@Component({
  selector: 'app-secret-dialog',
  imports: [MatDialogModule, MatButtonModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'sa.secretTitle' | t: { name: data.name } }}</h2>
    <mat-dialog-content>
      <p class="warn">{{ 'sa.secretWarning' | t }}</p>
      <dl class="kv">
        <dt>client_id</dt><dd class="mono" data-testid="sa-client-id">{{ data.client_id }}</dd>
        <dt>client_secret</dt><dd class="mono secret" data-testid="sa-secret">{{ data.client_secret }}</dd>
      </dl>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-stroked-button (click)="copy()" data-testid="sa-copy">{{ (copied() ? 'sa.copied' : 'sa.copy') | t }}</button>
      <button mat-flat-button mat-dialog-close data-testid="sa-secret-close">{{ 'sa.secretSaved' | t }}</button>
    </mat-dialog-actions>
  `,
  styles: `.warn { background: #fff4d6; color: #7a5300; padding: 8px 12px; border-radius: 6px; }
           .secret { background: #f3f4f6; padding: 6px 8px; border-radius: 4px; font-size: 14px; }`,
})
export class SecretDialog {
  readonly data = inject<SecretData>(MAT_DIALOG_DATA);
  private readonly clipboard = inject(Clipboard);
  readonly copied = signal(false);

  copy(): void {
    this.copied.set(this.clipboard.copy(this.data.client_secret));
  }
}
