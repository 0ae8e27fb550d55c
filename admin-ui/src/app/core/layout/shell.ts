import { BreakpointObserver } from '@angular/cdk/layout';
import { Component, OnInit, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { map } from 'rxjs';
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
  { path: '/retention-schedules', label: 'nav.retentionSchedules', scopes: ['records:read'] },
  { path: '/legal-holds', label: 'nav.legalHolds', scopes: ['records:read'] },
  { path: '/disposition', label: 'nav.disposition', scopes: ['records:read'] },
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
      @if (handset()) {
        <button mat-icon-button class="menu-btn" (click)="nav.toggle()" [attr.aria-label]="'app.menu' | t"
                [attr.aria-expanded]="nav.opened" data-testid="menu-toggle">☰</button>
      }
      <a routerLink="/dashboard" class="brand">ArtStore</a>
      @if (!handset()) { <span class="subtitle">{{ 'app.subtitle' | t }}</span> }
      <span class="spacer"></span>
      <mat-button-toggle-group [value]="i18n.lang()" (change)="setLang($event.value)" hideSingleSelectionIndicator
                               [attr.aria-label]="'app.language' | t" class="lang" data-testid="lang-switch">
        @for (l of langs; track l) {
          <mat-button-toggle [value]="l" [attr.data-testid]="'lang-' + l">{{ l.toUpperCase() }}</mat-button-toggle>
        }
      </mat-button-toggle-group>
      <button mat-button [matMenuTriggerFor]="userMenu" data-testid="user-menu">
        {{ auth.username() }}@if (!handset()) { · {{ 'role.' + (auth.role() ?? 'none') | t: null : (auth.role() ?? '') }} }
      </button>
      <mat-menu #userMenu="matMenu">
        <button mat-menu-item (click)="changePassword()">{{ 'auth.changePassword' | t }}</button>
        <button mat-menu-item (click)="auth.logout()" data-testid="logout">{{ 'auth.logout' | t }}</button>
      </mat-menu>
    </mat-toolbar>
    <mat-sidenav-container class="container">
      <mat-sidenav #nav [mode]="handset() ? 'over' : 'side'" [opened]="!handset()" class="sidenav" data-testid="sidenav">
        <mat-nav-list>
          @for (item of navItems(); track item.path) {
            <a mat-list-item [routerLink]="item.path" routerLinkActive="active-link" [attr.data-testid]="'nav-' + item.path.slice(1)"
               (click)="handset() && nav.close()">
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
    /* 100dvh, and min-height: 0 on the container, so the page scrolls inside the window
       instead of running 64 px (the toolbar) past its bottom edge. */
    :host { display: flex; flex-direction: column; height: 100vh; height: 100dvh; }
    .topbar { background: #1f3a5f; color: #fff; gap: 12px; flex: 0 0 auto; position: relative; z-index: 2; }
    .menu-btn { font-size: 22px; }
    .brand { color: #fff; text-decoration: none; font-weight: 600; font-size: 20px; }
    .subtitle { font-size: 13px; opacity: 0.75; }
    .spacer { flex: 1; }
    .topbar button { color: #fff; }
    .lang { height: 32px; align-items: center; background: #fff; }
    .container { flex: 1 1 auto; min-height: 0; }
    .sidenav { width: 220px; border-right: 1px solid #e3e3e3; }
    .active-link { background: rgba(31, 58, 95, 0.1); font-weight: 600; }
    .content { padding: 24px; background: #f6f7f9; box-sizing: border-box; }
    @media (max-width: 599px) {
      .topbar { gap: 6px; padding: 0 8px; height: 56px; }
      .brand { font-size: 17px; }
      .content { padding: 12px; }
      .topbar [data-testid=user-menu] { min-width: 0; max-width: 110px; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; }
    }
  `,
})
export class Shell implements OnInit {
  readonly auth = inject(AuthService);
  readonly i18n = inject(I18nService);
  private readonly dialog = inject(MatDialog);
  readonly langs = LANGS;
  readonly navItems = computed(() => NAV.filter((n) => n.scopes.every((s) => this.auth.scopes().has(s))));
  /** Phones and small tablets in portrait: the menu slides over the page behind a button. */
  readonly handset = toSignal(inject(BreakpointObserver).observe('(max-width: 959px)').pipe(map((r) => r.matches)), {
    initialValue: false,
  });

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
