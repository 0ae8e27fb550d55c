import { Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Router, RouterLink } from '@angular/router';

import { TranslatePipe } from '../../core/i18n/pipes';

@Component({
  selector: 'app-not-found',
  imports: [RouterLink, MatButtonModule, TranslatePipe],
  template: `
    <div class="panel nf" data-testid="not-found">
      <div class="code">404</div>
      <h1 class="page-title">{{ 'notFound.title' | t }}</h1>
      <p class="muted path">{{ path }}</p>
      <p>{{ 'notFound.text' | t }}</p>
      <a mat-flat-button routerLink="/dashboard">{{ 'notFound.home' | t }}</a>
    </div>
  `,
  styles: `.nf { max-width: 560px; margin: 40px auto; text-align: center; } .code { font-size: 56px; font-weight: 700; color: #c5ccd6; }
           .path { overflow-wrap: anywhere; font-family: 'Noto Sans Mono', monospace; }`,
})
export class NotFoundPage {
  readonly path = inject(Router).url;
}
