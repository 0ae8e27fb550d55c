import { Injectable, inject, signal } from '@angular/core';
import { Params } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';

export interface SavedSearch {
  name: string;
  params: Params;
}

/** Named searches (their URL parameters) per administrator, kept in this browser's storage. */
@Injectable({ providedIn: 'root' })
export class SavedSearches {
  private readonly auth = inject(AuthService);
  readonly list = signal<SavedSearch[]>([]);

  private key(): string {
    return `artstore.savedSearches.${this.auth.username() ?? ''}`;
  }

  load(): void {
    try {
      const raw = JSON.parse(localStorage.getItem(this.key()) ?? '[]');
      this.list.set(Array.isArray(raw) ? raw.filter((s) => s && typeof s.name === 'string' && s.params) : []);
    } catch {
      this.list.set([]);
    }
  }

  save(name: string, params: Params): void {
    const rest = this.list().filter((s) => s.name !== name);
    this.store([...rest, { name, params }].sort((a, b) => a.name.localeCompare(b.name)));
  }

  remove(name: string): void {
    this.store(this.list().filter((s) => s.name !== name));
  }

  private store(list: SavedSearch[]): void {
    this.list.set(list);
    try {
      localStorage.setItem(this.key(), JSON.stringify(list));
    } catch {
      /* storage disabled: the list lasts for this page */
    }
  }
}
