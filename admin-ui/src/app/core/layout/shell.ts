import { Component, OnInit, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatListModule } from '@angular/material/list';
import { MatMenuModule } from '@angular/material/menu';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { MatDialog } from '@angular/material/dialog';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

import { AuthService } from '../auth/auth.service';
import { I18nService, LANGS, Lang } from '../i18n/i18n.service';
import { TranslatePipe } from '../i18n/pipes';
import { ChangePasswordDialog } from './change-password-dialog';

interface NavItem {
  path: string;
  label: string;
  scopes: string[];
}

const NAV: NavItem[] = [
  { path: '/dashboard', label: 'nav.dashboard', scopes: [] },
  { path: '/storage-elements', label: 'nav.storageElements', scopes: ['storage:read'] },
  { path: '/files', label: 'nav.files', scopes: ['files:read'] },
  { path: '/service-accounts', label: 'nav.serviceAccounts', scopes: ['accounts:read'] },
  { path: '/admin-users', label: 'nav.adminUsers', scopes: ['accounts:read'] },
  { path: '/audit', label: 'nav.audit', scopes: ['audit:read'] },
  { path: '/sagas', label: 'nav.sagas', scopes: ['storage:read'] },
];

@Component({
  selector: 'app-shell',
  imports: [
    RouterOutlet, RouterLink, RouterLinkActive, MatSidenavModule, MatToolbarModule, MatListModule,
    MatButtonModule, MatButtonToggleModule, MatMenuModule, TranslatePipe,
  ],
  template: `
    <mat-toolbar class="topbar">
      <a routerLink="/dashboard" class="brand">ArtStore</a>
      <span class="subtitle">{{ 'app.subtitle' | t }}</span>
      <span class="spacer"></span>
      <mat-button-toggle-group [value]="i18n.lang()" (change)="setLang($event.value)" hideSingleSelectionIndicator
                               [attr.aria-label]="'app.language' | t" class="lang" data-testid="lang-switch">
        @for (l of langs; track l) {
          <mat-button-toggle [value]="l" [attr.data-testid]="'lang-' + l">{{ l.toUpperCase() }}</mat-button-toggle>
        }
      </mat-button-toggle-group>
      <button mat-button [matMenuTriggerFor]="userMenu" data-testid="user-menu">
        {{ auth.username() }} · {{ 'role.' + (auth.role() ?? 'none') | t: null : (auth.role() ?? '') }}
      </button>
      <mat-menu #userMenu="matMenu">
        <button mat-menu-item (click)="changePassword()">{{ 'auth.changePassword' | t }}</button>
        <button mat-menu-item (click)="auth.logout()" data-testid="logout">{{ 'auth.logout' | t }}</button>
      </mat-menu>
    </mat-toolbar>
    <mat-sidenav-container class="container">
      <mat-sidenav mode="side" opened class="sidenav">
        <mat-nav-list>
          @for (item of nav(); track item.path) {
            <a mat-list-item [routerLink]="item.path" routerLinkActive="active-link" [attr.data-testid]="'nav-' + item.path.slice(1)">
              {{ item.label | t }}
            </a>
          }
        </mat-nav-list>
      </mat-sidenav>
      <mat-sidenav-content class="content">
        <router-outlet />
      </mat-sidenav-content>
    </mat-sidenav-container>
  `,
  styles: `
    :host { display: flex; flex-direction: column; height: 100vh; }
    .topbar { background: #1f3a5f; color: #fff; gap: 12px; flex: 0 0 auto; }
    .brand { color: #fff; text-decoration: none; font-weight: 600; font-size: 20px; }
    .subtitle { font-size: 13px; opacity: 0.75; }
    .spacer { flex: 1; }
    .topbar button { color: #fff; }
    .lang { height: 32px; align-items: center; background: #fff; }
    .container { flex: 1; }
    .sidenav { width: 220px; border-right: 1px solid #e3e3e3; }
    .active-link { background: rgba(31, 58, 95, 0.1); font-weight: 600; }
    .content { padding: 24px; background: #f6f7f9; }
  `,
})
export class Shell implements OnInit {
  readonly auth = inject(AuthService);
  readonly i18n = inject(I18nService);
  private readonly dialog = inject(MatDialog);
  readonly langs = LANGS;
  readonly nav = computed(() => NAV.filter((n) => n.scopes.every((s) => this.auth.scopes().has(s))));

  ngOnInit(): void {
    this.auth.loadMe().subscribe({ error: () => undefined });
  }

  setLang(lang: Lang): void {
    this.i18n.setLang(lang);
  }

  changePassword(): void {
    this.dialog.open(ChangePasswordDialog, { width: '420px' });
  }
}
