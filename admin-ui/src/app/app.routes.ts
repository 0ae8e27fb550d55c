import { Routes } from '@angular/router';

import { authGuard, scopeGuard } from './core/auth/auth.guard';
import { Shell } from './core/layout/shell';
import { LoginPage } from './features/login/login.page';

export const routes: Routes = [
  { path: 'login', component: LoginPage, title: 'ArtStore' },
  {
    path: '',
    component: Shell,
    canActivate: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
      { path: 'dashboard', loadComponent: () => import('./features/dashboard/dashboard.page').then((m) => m.DashboardPage) },
      {
        path: 'storage-elements',
        canActivate: [scopeGuard('storage:read')],
        loadChildren: () => import('./features/storage-elements/routes').then((m) => m.STORAGE_ELEMENT_ROUTES),
      },
      {
        path: 'files',
        canActivate: [scopeGuard('files:read')],
        loadChildren: () => import('./features/files/routes').then((m) => m.FILE_ROUTES),
      },
      {
        path: 'service-accounts',
        canActivate: [scopeGuard('accounts:read')],
        loadComponent: () => import('./features/service-accounts/service-accounts.page').then((m) => m.ServiceAccountsPage),
      },
      {
        path: 'admin-users',
        canActivate: [scopeGuard('accounts:read')],
        loadComponent: () => import('./features/admin-users/admin-users.page').then((m) => m.AdminUsersPage),
      },
      {
        path: 'audit',
        canActivate: [scopeGuard('audit:read')],
        loadComponent: () => import('./features/audit/audit.page').then((m) => m.AuditPage),
      },
      {
        path: 'retention-schedules',
        canActivate: [scopeGuard('records:read')],
        loadComponent: () => import('./features/records/schedules.page').then((m) => m.SchedulesPage),
      },
      {
        path: 'legal-holds',
        canActivate: [scopeGuard('records:read')],
        loadChildren: () => import('./features/records/routes').then((m) => m.HOLD_ROUTES),
      },
      {
        path: 'disposition',
        canActivate: [scopeGuard('records:read')],
        loadChildren: () => import('./features/records/routes').then((m) => m.DISPOSITION_ROUTES),
      },
      {
        path: 'sagas',
        canActivate: [scopeGuard('storage:read')],
        loadComponent: () => import('./features/sagas/sagas.page').then((m) => m.SagasPage),
      },
      // Inside the shell (menu stays), behind the auth guard: an unknown URL says so.
      { path: '**', loadComponent: () => import('./features/not-found/not-found.page').then((m) => m.NotFoundPage), title: 'ArtStore · 404' },
    ],
  },
];
