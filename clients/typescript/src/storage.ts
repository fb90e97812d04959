// Where the client keeps what must survive a reload: the last seq it processed and the
// sends not yet acknowledged. Any async key-value store fits (AsyncStorage in React
// Native, IndexedDB wrappers, a file in Node).

/** A small key-value store; methods may be sync or async. */
export interface ChatStorage {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
}

/** Keeps nothing past the process: the default. */
export function memoryStorage(): ChatStorage {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => {
      map.set(key, value);
    },
  };
}

interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Browser `localStorage` (or any Web Storage), under `prefix`: a reloaded page resumes. */
export function localStorageAdapter(prefix = 'chat:', storage?: WebStorage): ChatStorage {
  const s = storage ?? (globalThis as { localStorage?: WebStorage }).localStorage;
  if (!s) throw new Error('localStorage is not available here; pass a Storage or use memoryStorage()');
  return {
    get: (key) => s.getItem(prefix + key),
    set: (key, value) => s.setItem(prefix + key, value),
  };
}
