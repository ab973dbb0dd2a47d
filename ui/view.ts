// What main.ts needs of a view: render into its element, fetch again when something changed.
import type { Unauthenticated } from './api.js';

export interface ViewContext {
  readonly token: string;
  /** Called when runcap answers 401: the page forgets the token and asks for one. */
  readonly unauthenticated: (error: Unauthenticated) => void;
}

export interface View {
  /** Fetch and redraw; resolves when the page shows what runcap answered. */
  refresh(): Promise<void>;
}
