import { Routes } from '@angular/router';

export const STORAGE_ELEMENT_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./se-list.page').then((m) => m.SeListPage) },
  { path: ':id', loadComponent: () => import('./se-details.page').then((m) => m.SeDetailsPage) },
];
