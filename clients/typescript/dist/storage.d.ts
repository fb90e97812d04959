/** A small key-value store; methods may be sync or async. */
export interface ChatStorage {
    get(key: string): string | null | undefined | Promise<string | null | undefined>;
    set(key: string, value: string): void | Promise<void>;
}
/** Keeps nothing past the process: the default. */
export declare function memoryStorage(): ChatStorage;
interface WebStorage {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
}
/** Browser `localStorage` (or any Web Storage), under `prefix`: a reloaded page resumes. */
export declare function localStorageAdapter(prefix?: string, storage?: WebStorage): ChatStorage;
export {};
