// Where the client keeps what must survive a reload: the last seq it processed and the
// sends not yet acknowledged. Any async key-value store fits (AsyncStorage in React
// Native, IndexedDB wrappers, a file in Node).
/** Keeps nothing past the process: the default. */
export function memoryStorage() {
    const map = new Map();
    return {
        get: (key) => map.get(key) ?? null,
        set: (key, value) => {
            map.set(key, value);
        },
    };
}
/** Browser `localStorage` (or any Web Storage), under `prefix`: a reloaded page resumes. */
export function localStorageAdapter(prefix = 'chat:', storage) {
    const s = storage ?? globalThis.localStorage;
    if (!s)
        throw new Error('localStorage is not available here; pass a Storage or use memoryStorage()');
    return {
        get: (key) => s.getItem(prefix + key),
        set: (key, value) => s.setItem(prefix + key, value),
    };
}
