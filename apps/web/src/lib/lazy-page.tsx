// Pages loaded on demand whose failed download can be tried again. React.lazy keeps a failed import's
// rejection forever, so a page whose code could not be fetched (server down, assets replaced by an upgrade)
// would fail the same way until a full reload; these pages get a fresh import on retryFailedPages().
import { type ComponentType, lazy } from 'react';

const failedPages = new Set<() => void>();

/**
 * Like React.lazy for a page without props, but retryable.
 *
 * @example const StoragePage = lazyPage(() => import('./pages/storage/storage-page'));
 */
export function lazyPage(load: () => Promise<{ default: ComponentType }>): ComponentType {
  const attempt = () =>
    load().catch((error: unknown) => {
      failedPages.add(reset);
      throw error;
    });
  let Current = lazy(attempt);
  function reset() {
    Current = lazy(attempt);
  }
  // A stable component whose inner lazy one changes after a reset: React mounts the new one, which imports.
  return function LazyPage() {
    return <Current />;
  };
}

/** Lets every page whose import failed try again the next time it renders. */
export function retryFailedPages(): void {
  for (const reset of failedPages) reset();
  failedPages.clear();
}

/** How browsers word a dynamic import that could not be fetched (Chromium, Safari, Firefox). */
const CHUNK_FAILURE =
  /Failed to fetch dynamically imported module|Importing a module script failed|error loading dynamically imported module|Unable to preload CSS/i;

/** Whether an error is a page's code failing to download, rather than a bug in it. */
export function isChunkLoadError(error: unknown): boolean {
  return error instanceof Error && CHUNK_FAILURE.test(error.message);
}
