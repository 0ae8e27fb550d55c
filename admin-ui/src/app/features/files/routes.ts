import { Routes } from '@angular/router';

export const FILE_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./files.page').then((m) => m.FilesPage) },
  { path: ':id', loadComponent: () => import('./file-details.page').then((m) => m.FileDetailsPage) },
];
