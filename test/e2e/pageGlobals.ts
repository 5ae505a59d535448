// The few browser globals that functions run inside the page (page.evaluate) touch. The
// project's tsconfig has no DOM lib (server code must not see browser types), so each e2e
// file declares these, module-scoped, as narrowly as the page code needs.

export interface PageElement {
  readonly id: string;
  readonly tagName: string;
  readonly textContent: string | null;
  readonly labels?: ArrayLike<PageElement> | null;
  getAttribute(name: string): string | null;
}

export interface PageDocument {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  readonly documentElement: { readonly scrollWidth: number };
  readonly activeElement: PageElement | null;
}

export interface PageWindow {
  readonly innerWidth: number;
  scrollTo(x: number, y: number): void;
  __states?: string[];
}

export interface PageMutationObserver {
  observe(target: PageElement, options: { attributes: boolean; attributeOldValue: boolean; attributeFilter: string[] }): void;
}

export type PageMutationObserverClass = new (callback: (records: Array<{ oldValue: string | null }>) => void) => PageMutationObserver;
