import { Routes } from '@angular/router';

export const HOLD_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./holds.page').then((m) => m.HoldsPage) },
  { path: ':id', loadComponent: () => import('./hold-details.page').then((m) => m.HoldDetailsPage) },
];

export const DISPOSITION_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./disposition.page').then((m) => m.DispositionPage) },
  { path: ':id', loadComponent: () => import('./disposition.page').then((m) => m.DispositionBatchPage) },
];
